"""Word-level correction of character predictions, from probabilities alone.

A handwritten word is almost always all letters or all digits, and the
classes a network confuses most are exactly letter/digit look-alikes
(O/0, I/1, S/5, Z/2, B/8, G/6). For each word of two or more characters,
the probability that all its characters are letters is compared with the
probability that all are digits (each character's class probabilities summed
over the group, multiplied along the word); every character then takes its
most probable class within the winning group. Single characters keep their
own best guess. Nothing here knows the words of any page.
"""
from __future__ import annotations

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
