from dashboard.train_settings import PRESETS, TrainSettings, from_query


def test_a_link_restores_the_settings_snapped_to_the_widgets_steps_but_keeps_its_learning_rate():
    settings, problems = from_query({"arch": "cnn", "augment": "1", "elastic": "1.4", "lr": "0.0011", "batch": "60"})
    assert problems == []
    assert (settings.arch, settings.augment, settings.elastic, settings.lr, settings.batch) == ("cnn", True, 1.5,
                                                                                                0.0011, 64)
    assert settings.recipe().augmentation.elastic == 1.5
    assert from_query(settings.to_query())[0] == settings


def test_bad_link_values_fall_back_and_are_reported():
    settings, problems = from_query({"elastic": "9", "epochs": "0", "arch": "transformer", "lr": "-1"})
    assert settings == TrainSettings()
    assert sorted(p.split("=")[0] for p in problems) == ["arch", "elastic", "epochs", "lr"]
    for lr in ("nan", "inf", "2", "1e-9"):
        assert from_query({"lr": lr})[1] == [f"lr={lr!r}"]


def test_the_settings_of_a_recipe_give_that_recipe_back():
    from dataclasses import replace

    for name, preset in PRESETS.items():
        recipe = replace(preset.recipe(), lr=0.00123456789)
        assert TrainSettings.of(recipe, "handwriting").recipe() == recipe, name


def test_elastic_distortion_only_acts_within_the_augmentation():
    assert TrainSettings(augment=False, elastic=1.5).recipe().augmentation is None
    assert PRESETS["CNN"].recipe().augmentation.elastic > 0


def test_the_autoencoder_settings_of_a_recipe_give_that_recipe_back():
    from dataclasses import replace

    from dashboard.autoencoder_settings import PRESETS as AE_PRESETS
    from dashboard.autoencoder_settings import AutoencoderSettings

    for name, preset in AE_PRESETS.items():
        recipe = replace(preset.recipe(), lr=0.00123456789, hidden=(137, 23, 137))
        assert AutoencoderSettings.of(recipe, "handwriting").recipe() == recipe, name
