"""An IsolationForest's trees as flat arrays, scored for all trees at once.

sklearn walks its 100 trees one by one in Python, about 5 ms for a single
row; a push scores one row at a time. Stacking the trees into (trees x nodes)
arrays and descending every tree in the same numpy step scores one row in
tens of microseconds and gives the same numbers as `score_samples`.
"""

from __future__ import annotations

import math

import numpy as np
from sklearn.ensemble import IsolationForest


def average_path_length(n: int) -> float:
    """c(n) of Liu et al. (2008): the mean depth of an unsuccessful search in a binary tree of n points.

    Ours rather than scikit-learn's private `_average_path_length`, which may change without notice;
    the same formula, and the test against `IsolationForest.score_samples` holds to 1e-12.
    """
    if n <= 1:
        return 0.0
    if n == 2:
        return 1.0
    return 2.0 * (math.log(n - 1.0) + np.euler_gamma) - 2.0 * (n - 1.0) / n


class FlatForest:
    def __init__(self, forest: IsolationForest) -> None:
        trees = [est.tree_ for est in forest.estimators_]
        width = max(t.node_count for t in trees)
        shape = (len(trees), width)
        self.left = np.full(shape, -1, dtype=np.int32)
        self.right = np.full(shape, -1, dtype=np.int32)
        self.feature = np.zeros(shape, dtype=np.int32)
        self.threshold = np.zeros(shape, dtype=np.float64)
        self.leaf_depth = np.zeros(shape, dtype=np.float64)
        subsample = forest._max_features != forest.n_features_in_
        for i, (tree, feats) in enumerate(zip(trees, forest.estimators_features_)):
            n = tree.node_count
            self.left[i, :n] = tree.children_left
            self.right[i, :n] = tree.children_right
            node_feature = np.maximum(tree.feature, 0)
            self.feature[i, :n] = np.asarray(feats)[node_feature] if subsample else node_feature
            self.threshold[i, :n] = tree.threshold
            self.leaf_depth[i, :n] = (forest._decision_path_lengths[i]
                                      + forest._average_path_length_per_tree[i] - 1.0)
        self.max_depth = max(t.max_depth for t in trees)
        self.denominator = len(trees) * average_path_length(forest._max_samples)
        self.offset = float(forest.offset_)

    def score_samples(self, X: np.ndarray) -> np.ndarray:
        """Same as `IsolationForest.score_samples` (higher is more normal, in [-1, 0))."""
        X = np.asarray(X, dtype=np.float32).astype(np.float64)  # sklearn compares float32 inputs
        n_rows, n_features = X.shape
        n_trees, width = self.left.shape
        # Flat indices: node j of tree t is t*width + j; X[r, f] is r*n_features + f.
        base = (np.arange(n_trees) * width)[None, :]
        row_base = (np.arange(n_rows) * n_features)[:, None]
        left, right = self.left.ravel(), self.right.ravel()
        feature, threshold, x = self.feature.ravel(), self.threshold.ravel(), X.ravel()
        node = np.broadcast_to(base, (n_rows, n_trees)).copy()
        for _ in range(self.max_depth):
            nxt_left = left.take(node)
            go_left = x.take(row_base + feature.take(node)) <= threshold.take(node)
            nxt = np.where(go_left, nxt_left, right.take(node)) + base
            node = np.where(nxt_left == -1, node, nxt)
        depths = self.leaf_depth.ravel().take(node).sum(axis=1)
        if self.denominator == 0:
            return -np.ones(n_rows)
        return -(2.0 ** (-depths / self.denominator))

    def predict(self, X: np.ndarray) -> np.ndarray:
        return np.where(self.score_samples(X) - self.offset < 0, -1, 1).astype(np.int8)
