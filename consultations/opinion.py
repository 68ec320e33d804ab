"""The opinion map: participants grouped by how they vote on each other's statements.

Pure computation over (participant, statement, value) triples, value 1 agree, -1 disagree,
0 pass; no database here. The steps, after the manner of Polis:

1. The vote matrix (participants x statements), kept only for participants who voted on at
   least MIN_VOTES statements. A statement someone did not vote on counts as the average vote
   of those who did (so it pulls them nowhere).
2. Principal components: the two eigenvectors of the statements' covariance (statements x
   statements, numpy's symmetric eigensolver) with the largest eigenvalues; each participant's
   place is their centred votes projected on them, stretched by sqrt(statements / votes) so
   that someone who voted on little is not drawn to the centre only for that.
3. Groups: k-means on the places (k-means++ start, fixed seed, so the same votes give the
   same map), for k from 2 to MAX_GROUPS; the k with the best silhouette (measured on a
   fixed sample of at most SILHOUETTE_SAMPLE places) wins.
4. Per group and statement, the share that agreed, smoothed as (agree + 1) / (votes + 2) so
   that a statement two people saw is not "100 %". Statements that divide the groups are
   those whose shares are furthest apart; common ground is the statements whose lowest
   share among the groups is highest (and over a half).

10,000 participants x 500 statements take well under a few seconds (bench/bench_opinion.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MIN_VOTES = 2
MAX_GROUPS = 5
SILHOUETTE_SAMPLE = 1000
KMEANS_ROUNDS = 30
SHOWN = 5


@dataclass(frozen=True)
class Group:
    number: int  # 1, 2, ...
    size: int
    x: float  # the group's centre on the map
    y: float


@dataclass(frozen=True)
class Standing:
    """A statement's share of agreement in each group (in group order)."""

    statement_id: int
    agree_by_group: tuple[float, ...]


@dataclass(frozen=True)
class OpinionMap:
    participants: int  # those placed on the map
    votes: int
    groups: tuple[Group, ...]
    divisive: tuple[Standing, ...]
    consensus: tuple[Standing, ...]
    # Each placed participant's place and group: (participant id, x, y, group number).
    places: tuple[tuple[int, float, float, int], ...] = ()


EMPTY = OpinionMap(participants=0, votes=0, groups=(), divisive=(), consensus=())


def _indexed(ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct ids, in order, and each id's index among them: by a table of the ids
    present (linear) while ids are row numbers of a reasonable size, else by sorting."""
    if ids.min() < 0 or ids.max() > 50 * len(ids) + 1_000_000:
        return np.unique(ids, return_inverse=True)
    present = np.zeros(int(ids.max()) + 1, dtype=bool)
    present[ids] = True
    index = np.cumsum(present) - 1
    return np.flatnonzero(present), index[ids]


def _matrix(users: np.ndarray, statements: np.ndarray, values: np.ndarray
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The dense matrix and its mask, rows for participants with enough votes; with the ids
    of the rows and of the columns."""
    user_ids, rows = _indexed(users)
    statement_ids, cols = _indexed(statements)
    matrix = np.zeros((len(user_ids), len(statement_ids)), dtype=np.float32)
    voted = np.zeros(matrix.shape, dtype=bool)
    matrix[rows, cols] = values
    voted[rows, cols] = True
    keep = voted.sum(axis=1) >= min(MIN_VOTES, len(statement_ids))
    return matrix[keep], voted[keep], user_ids[keep], statement_ids


def _places(matrix: np.ndarray, voted: np.ndarray) -> np.ndarray:
    """Each participant's place on the first two principal components."""
    counts = voted.sum(axis=0)
    means = np.divide(matrix.sum(axis=0), counts, out=np.zeros(matrix.shape[1], np.float32),
                      where=counts > 0)
    centred = np.where(voted, matrix - means, 0).astype(np.float32)
    covariance = centred.T @ centred
    _, vectors = np.linalg.eigh(covariance.astype(np.float64))
    components = vectors[:, ::-1][:, :2].astype(np.float32)
    if components.shape[1] < 2:
        components = np.pad(components, ((0, 0), (0, 2 - components.shape[1])))
    for i in range(components.shape[1]):  # a fixed sign, so the map does not flip
        if components[np.argmax(np.abs(components[:, i])), i] < 0:
            components[:, i] = -components[:, i]
    stretch = np.sqrt(matrix.shape[1] / np.maximum(voted.sum(axis=1), 1)).astype(np.float32)
    return (centred @ components) * stretch[:, None]


def _kmeans(points: np.ndarray, k: int, rng: np.random.Generator
            ) -> tuple[np.ndarray, np.ndarray]:
    """Labels and centres of k groups (k-means++ start, Lloyd's rounds)."""
    centres = [points[rng.integers(len(points))]]
    for _ in range(1, k):
        distance = np.min([((points - c) ** 2).sum(axis=1) for c in centres], axis=0)
        total = distance.sum()
        pick = rng.choice(len(points), p=distance / total) if total > 0 else rng.integers(
            len(points))
        centres.append(points[pick])
    centre = np.array(centres, dtype=np.float64)
    labels = np.zeros(len(points), dtype=np.int64)
    for _ in range(KMEANS_ROUNDS):
        distance = ((points[:, None, :] - centre[None, :, :]) ** 2).sum(axis=2)
        new = distance.argmin(axis=1)
        for j in range(k):
            members = points[new == j]
            if len(members):
                centre[j] = members.mean(axis=0)
        if np.array_equal(new, labels):
            break
        labels = new
    return labels, centre


def _silhouette(points: np.ndarray, labels: np.ndarray, k: int) -> float:
    if len(set(labels.tolist())) < 2:
        return -1.0
    distance = np.sqrt(((points[:, None, :] - points[None, :, :]) ** 2).sum(axis=2))
    scores = np.zeros(len(points))
    for i in range(len(points)):
        own = labels == labels[i]
        inside = distance[i, own].sum() / max(own.sum() - 1, 1)
        outside = min((distance[i, labels == j].mean() for j in range(k)
                       if j != labels[i] and (labels == j).any()), default=0.0)
        scores[i] = (outside - inside) / max(inside, outside, 1e-12)
    return float(scores.mean())


def _group(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The labels and centres of the best number of groups."""
    if len(points) < 4:
        return np.zeros(len(points), dtype=np.int64), points.mean(axis=0, keepdims=True)
    rng = np.random.default_rng(0)
    sample = (rng.choice(len(points), SILHOUETTE_SAMPLE, replace=False)
              if len(points) > SILHOUETTE_SAMPLE else np.arange(len(points)))
    best: tuple[float, np.ndarray, np.ndarray] | None = None
    for k in range(2, min(MAX_GROUPS, len(points) - 1) + 1):
        labels, centres = _kmeans(points.astype(np.float64), k, np.random.default_rng(k))
        score = _silhouette(points[sample].astype(np.float64), labels[sample], k)
        if best is None or score > best[0] + 1e-9:
            best = (score, labels, centres)
    _, labels, centres = best
    # Groups numbered by size, the largest first.
    order = np.argsort(-np.bincount(labels, minlength=len(centres)), kind="stable")
    renumber = np.empty_like(order)
    renumber[order] = np.arange(len(order))
    return renumber[labels], centres[order]


def compute(users, statements, values) -> OpinionMap:
    """The map of the votes given as three parallel sequences."""
    users = np.asarray(users, dtype=np.int64)
    statements = np.asarray(statements, dtype=np.int64)
    values = np.asarray(values, dtype=np.float32)
    if len(values) == 0:
        return EMPTY
    matrix, voted, user_ids, statement_ids = _matrix(users, statements, values)
    if len(user_ids) == 0:
        return OpinionMap(participants=0, votes=len(values), groups=(), divisive=(),
                          consensus=())
    points = _places(matrix, voted)
    labels, centres = _group(points)
    k = len(centres)
    onehot = np.zeros((len(labels), k), dtype=np.float32)
    onehot[np.arange(len(labels)), labels] = 1
    agree = onehot.T @ ((matrix > 0) & voted).astype(np.float32)
    seen = onehot.T @ voted.astype(np.float32)
    shares = (agree + 1) / (seen + 2)  # groups x statements
    sizes = np.bincount(labels, minlength=k)
    groups = tuple(Group(number=i + 1, size=int(sizes[i]), x=round(float(centres[i][0]), 3),
                         y=round(float(centres[i][1]), 3)) for i in range(k))

    def standing(j: int) -> Standing:
        return Standing(int(statement_ids[j]), tuple(round(float(v), 3) for v in shares[:, j]))

    spread = shares.max(axis=0) - shares.min(axis=0)
    divisive = tuple(standing(j) for j in np.argsort(-spread, kind="stable")[:SHOWN]
                     if k > 1 and spread[j] > 0)
    lowest = shares.min(axis=0)
    consensus = tuple(standing(j) for j in np.argsort(-lowest, kind="stable")[:SHOWN]
                      if lowest[j] > 0.5)
    places = tuple((int(u), round(float(p[0]), 3), round(float(p[1]), 3), int(g) + 1)
                   for u, p, g in zip(user_ids, points, labels, strict=True))
    return OpinionMap(participants=len(user_ids), votes=len(values), groups=groups,
                      divisive=divisive, consensus=consensus, places=places)
