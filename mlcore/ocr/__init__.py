"""Reading photographed handwritten pages: load, find the ink, lines, words, characters."""
