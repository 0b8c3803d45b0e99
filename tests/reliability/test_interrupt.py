"""An interrupt that lands inside optimizer.step() saves the state of a completed step, deterministically.

The signal is raised from an optimiser step hook, i.e. after the weights and the optimiser state of
step k were updated but before the schedule and the counters were. Python runs signal handlers between
bytecodes, so the interrupt is delivered inside optimizer.step() every time.
"""

from __future__ import annotations

import signal

import pytest
import torch

from paperzoo.training import load_checkpoint
from tests.reliability.conftest import make_trainer


def _signal_inside_step(trainer, at_step: int, number: int) -> None:
    calls = {"n": 0}

    def hook(optimizer, args, kwargs):  # runs inside optimizer.step(), after the update
        calls["n"] += 1
        if calls["n"] == at_step:
            signal.raise_signal(number)

    trainer.optimizer.register_step_post_hook(hook)


def _weights(trainer):
    return {key: value.clone() for key, value in trainer.module.state_dict().items()}


@pytest.mark.parametrize("number", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
@pytest.mark.parametrize("at_step", [2, 3, 5])
def test_signal_inside_optimizer_step_saves_that_completed_step(tmp_path, number, at_step):
    def unhandled(number, frame):  # stands in for the default action (SIGTERM would end pytest)
        raise AssertionError(f"{signal.Signals(number).name} reached the handler fit() should replace")

    # SIGINT as a terminal starts Python: a background job (`make test &`) inherits SIGINT ignored, which
    # fit() rightly leaves ignored, and then no interrupt would arrive.
    previous_int = signal.signal(signal.SIGINT, signal.default_int_handler)
    previous = signal.signal(signal.SIGTERM, unhandled)
    try:
        _run_interrupted_and_resume(tmp_path, number, at_step)
    finally:
        signal.signal(signal.SIGTERM, previous)
        signal.signal(signal.SIGINT, previous_int)


def _run_interrupted_and_resume(tmp_path, number, at_step):
    reference = make_trainer(tmp_path / "reference")
    reference.fit()
    interrupted = make_trainer(tmp_path / "run")
    _signal_inside_step(interrupted, at_step, number)
    with pytest.raises(KeyboardInterrupt) as info:
        interrupted.fit()
    assert "is saved in" in " ".join(getattr(info.value, "__notes__", []))
    state = load_checkpoint(tmp_path / "run" / "checkpoint.pt")
    assert state["global_step"] == at_step  # the step the signal landed in completed
    assert state["optimizer"]["state"][0]["momentum_buffer"] is not None
    # Weights and optimiser state are of the same step: resuming gives the uninterrupted run, bit for bit.
    resumed = make_trainer(tmp_path / "run")
    resumed.resume()
    resumed.fit()
    for key, value in _weights(reference).items():
        assert torch.equal(value, _weights(resumed)[key]), key


def test_handlers_are_restored_after_fit(tmp_path):
    before = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    make_trainer(tmp_path).fit()
    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == before
