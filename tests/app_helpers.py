"""What the AppTest tests of several pages share."""
import time

from streamlit.testing.v1 import AppTest

from mlcore.data.paths import REPO_ROOT

APP = str(REPO_ROOT / "streamlit_app.py")


def wait_for_job(at, key: str = "train_job", timeout: float = 120) -> None:
    """Wait for the background training job in st.session_state[key], then rerun the page."""
    deadline = time.monotonic() + timeout
    while at.session_state[key].running:
        assert time.monotonic() < deadline, "training did not finish"
        time.sleep(0.5)
    at.run()
    assert not at.exception


def open_page(path: str, timeout: float = 120) -> AppTest:
    """The app, switched to one page (e.g. 'app_pages/ocr.py') and run without an exception."""
    at = AppTest.from_file(APP, default_timeout=timeout)
    at.switch_page(path).run()
    assert not at.exception
    return at
