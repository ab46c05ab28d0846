"""Real handwriting: class names, file formats, the image convention, datasets, augmentation."""
