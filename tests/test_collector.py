import gc

import pytest

from backoffice.collector import collector_paused


def test_the_collector_is_paused_in_the_block_and_on_again_after_it():
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_the_collector_is_on_again_after_a_block_that_raised():
    with pytest.raises(ValueError), collector_paused():
        raise ValueError("a bill that cannot be read")
    assert gc.isenabled()


def test_a_collector_switched_off_before_stays_off():
    gc.disable()
    try:
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()
