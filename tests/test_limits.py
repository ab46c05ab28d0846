"""What one visitor may ask of a shared server: each limit, refused before anything is allocated, with
the numbers, on the page and in mlcore."""
from dataclasses import replace

import pytest

from mlcore.autoencoder import AutoencoderRecipe
from mlcore.classifier import ClassifierRecipe
from mlcore.data.augment import Augmentation
from mlcore.limits import Limits, training_footprint
from mlcore.training import TrainConfig

HOMEWORK = ClassifierRecipe(standardize=False, train=TrainConfig(epochs=30, batch_size=5))
SIX_BY_4096 = ClassifierRecipe(hidden=(4096,) * 6, activation="relu", optimizer="adam",
                               train=TrainConfig(epochs=200, batch_size=256))


def test_parameters_are_counted_exactly():
    # 1024*64 + 64 + 64*36 + 36 (the homework's network)
    assert training_footprint(HOMEWORK, 10_000)[0] == 67_940
    # conv 3x3x1x32 + 32, conv 3x3x32x64 + 64, dense 8*8*64 x 128 + 128, dense 128 x 36 + 36
    cnn = ClassifierRecipe(arch="cnn", optimizer="adam")
    assert training_footprint(cnn, 10_000)[0] == 320 + 18_496 + 524_416 + 4_644
    ae = (1024 * 32 + 32) + 2 * (32 * 32 + 32) + 32 * 1024 + 1024   # 1024-32-32-32-1024
    assert training_footprint(AutoencoderRecipe(), 10_000)[0] == ae


def test_the_estimate_is_the_larger_of_reading_the_data_and_training_on_it():
    # the homework's small network: reading the files is the peak, whatever the optimizer
    reading = training_footprint(HOMEWORK, 10_000)[1]
    assert training_footprint(replace(HOMEWORK, optimizer="adam"), 10_000)[1] == reading
    assert training_footprint(HOMEWORK, 20_000)[1] > reading
    # a large one: training is, and it grows with the optimizer's state, the batch and augmentation
    large = ClassifierRecipe(hidden=(2048, 2048), optimizer="sgd", train=TrainConfig(batch_size=64))
    base = training_footprint(large, 10_000)[1]
    assert base > reading
    for bigger in (replace(large, optimizer="adam"), replace(large, train=TrainConfig(batch_size=256)),
                   replace(large, augmentation=Augmentation())):
        assert training_footprint(bigger, 10_000)[1] > base


def test_the_default_limits_admit_every_preset_and_shipped_recipe():
    from dashboard.autoencoder_settings import PRESETS as AE_PRESETS
    from dashboard.train_settings import PRESETS
    limits = Limits()
    for settings in PRESETS.values():
        limits.check_training(settings.recipe(), 10_314)
    for settings in AE_PRESETS.values():
        limits.check_training(settings.recipe(), 10_314)
    shipped_mlp = ClassifierRecipe(hidden=(1024, 512), activation="relu", optimizer="adam", dropout=0.2,
                                   train=TrainConfig(epochs=120, batch_size=64))
    limits.check_training(shipped_mlp, 10_314)


@pytest.mark.parametrize("recipe, message", [
    (SIX_BY_4096, r"this network has 88,\d{3},\d{3} parameters and needs about [\d,]+ MB to train; this server "
                  r"allows 4,000,000 parameters"),
    (ClassifierRecipe(arch="cnn", channels=(64, 128), optimizer="adam", train=TrainConfig(batch_size=512)),
     r"this training needs about [\d,]+ MB \(1,\d{3},\d{3} parameters, batches of 512\); this server allows 600 MB"),
    (replace(HOMEWORK, train=TrainConfig(epochs=500)), "500 epochs is more than the 200 this server allows"),
    (replace(HOMEWORK, train=TrainConfig(batch_size=1024)), "a batch of 1024 is more than the 512"),
])
def test_each_limit_refuses_with_the_numbers(recipe, message):
    with pytest.raises(ValueError, match=message):
        Limits().check_training(recipe, 10_314)


def test_limits_come_from_the_environment_and_refuse_nonsense():
    assert Limits.from_env({"MLCORE_LIMIT_MAX_EPOCHS": "50"}).max_epochs == 50
    with pytest.raises(ValueError, match="MLCORE_LIMIT_MAX_EPOCHS must be a whole number"):
        Limits.from_env({"MLCORE_LIMIT_MAX_EPOCHS": "lots"})
    with pytest.raises(ValueError, match="max_epochs must be a positive integer"):
        Limits.from_env({"MLCORE_LIMIT_MAX_EPOCHS": "0"})
