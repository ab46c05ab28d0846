"""Word-level correction of character predictions, from probabilities alone.

A handwritten word is almost always all letters or all digits, and the
classes a network confuses most are exactly letter/digit look-alikes
(O/0, I/1, S/5, Z/2, B/8, G/6). For each word of two or more characters,
the probability that all its characters are letters is compared with the
probability that all are digits (each character's class probabilities summed
over the group, multiplied along the word); every character then takes its
most probable class within the winning group. Single characters keep their
own best guess.

Then, optionally, a word that reads almost like an English word becomes that
word (`Lexicon.correct`): the dictionary word's probability under the
network's own character probabilities must be at least LEXICON_RATIO of the
reading's. Nothing here knows the words of any page.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from mlcore.data.classes import is_letter


def consistent_words(probs: np.ndarray, words: list[list[int]]) -> np.ndarray:
    """Predicted class per character, each word kept all letters or all digits.

    probs: (n_chars, n_classes) probabilities; words: character indices per word.
    """
    pred = probs.argmax(axis=1)
    letter_cols = is_letter(np.arange(probs.shape[1]))
    for word in words:
        if len(word) < 2:
            continue
        p = probs[word]
        log_letters = np.log(np.clip(p[:, letter_cols].sum(1), 1e-12, None)).sum()
        log_digits = np.log(np.clip(p[:, ~letter_cols].sum(1), 1e-12, None)).sum()
        group = letter_cols if log_letters >= log_digits else ~letter_cols
        pred[word] = np.where(group, p, -1.0).argmax(axis=1)
    return pred


# A dictionary word replaces the network's reading of a word when it is at least
# this fraction as probable (under the network's own character probabilities):
# only characters the network is unsure of change, and an unknown word read
# confidently stays as it is.
LEXICON_RATIO = 0.01


class Lexicon:
    """English words as class-index arrays, grouped by length, for scoring whole words at once."""

    def __init__(self, words, classes):
        index = {c: i for i, c in enumerate(classes)}
        by_length: dict[int, list[list[int]]] = {}
        for word in {w.upper() for w in words}:
            if word.isalpha() and all(c in index for c in word):
                by_length.setdefault(len(word), []).append([index[c] for c in word])
        self.by_length = {n: np.array(v, dtype=np.int16) for n, v in by_length.items()}
        self.classes = tuple(classes)

    def __len__(self):
        return sum(len(v) for v in self.by_length.values())

    def correct(self, probs: np.ndarray, words: list[list[int]], pred: np.ndarray,
                ratio: float = LEXICON_RATIO) -> np.ndarray:
        """`pred` with each all-letter word replaced by the most probable dictionary word of its
        length, when that word is at least `ratio` times as probable as the reading itself."""
        pred = pred.copy()
        logp = np.log(np.clip(probs, 1e-12, None))
        for word in words:
            candidates = self.by_length.get(len(word))
            if len(word) < 2 or candidates is None or not all(self.classes[k].isalpha() for k in pred[word]):
                continue
            lp = logp[word]
            scores = lp[np.arange(len(word)), candidates].sum(axis=1)
            best = int(scores.argmax())
            if scores[best] >= lp[np.arange(len(word)), pred[word]].sum() + np.log(ratio):
                pred[word] = candidates[best]
        return pred


def english_lexicon(classes) -> Lexicon:
    """The English words of the `english-words` package (web2 and GCIDE lists), built once."""
    return _english(tuple(classes))


@lru_cache(maxsize=2)
def _english(classes: tuple[str, ...]) -> Lexicon:
    from english_words import get_english_words_set

    return Lexicon(get_english_words_set(["web2", "gcide"], alpha=True, lower=True), classes)
