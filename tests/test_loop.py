"""ganbook.loop: the training loop core and the conventions every trainer shares."""

import time

import pytest
import torch

from ganbook import loop
from ganbook.loop import Every, Loop, DivergedError


def counting_step(values=None):
    """A train step returning d_loss = the call number (1, 2, ...), or values[call - 1]."""
    calls = []

    def step():
        calls.append(len(calls) + 1)
        value = calls[-1] if values is None else values[calls[-1] - 1]
        return {"d_loss": torch.tensor(float(value)), "g_loss": torch.tensor(0.5)}

    step.calls = calls
    return step


# ----------------------------------------------------------------------------- Loop
def test_steps_limit_and_history():
    step = counting_step()
    run = Loop(5, progress=False).run(step)
    assert run.step == 5 and step.calls == [1, 2, 3, 4, 5]
    assert run.history == {"d_loss": [1.0, 2.0, 3.0, 4.0, 5.0], "g_loss": [0.5] * 5}
    assert run.seconds > 0


def test_minutes_limit_stops_after_that_much_time():
    def step():
        time.sleep(0.005)
        return {"d_loss": torch.tensor(0.0)}

    run = Loop(steps=10**6, minutes=0.001, progress=False).run(step)  # 0.06 s
    assert 0.06 <= run.seconds < 10
    assert 1 <= run.step < 10**6 and len(run.history["d_loss"]) == run.step


def test_minutes_alone_bound_the_run():
    run = Loop(minutes=0.0005, progress=False).run(lambda: {"d_loss": torch.tensor(1.0)})
    assert run.step >= 1 and run.seconds >= 0.03 and run.steps is None


def test_resumed_run_continues_step_seconds_and_history():
    before = {"d_loss": [7.0, 8.0, 9.0], "g_loss": [0.1, 0.2, 0.3]}
    run = Loop(5, start=3, seconds=10.0, history=before, progress=False)
    assert run.seconds == 10.0 and run.step == 3
    step = counting_step()
    run.run(step)
    assert step.calls == [1, 2] and run.step == 5
    assert run.history["d_loss"] == [7.0, 8.0, 9.0, 1.0, 2.0]
    assert run.history["g_loss"] == [0.1, 0.2, 0.3, 0.5, 0.5]
    assert before["d_loss"] == [7.0, 8.0, 9.0]  # the caller's lists are copied, not extended
    seconds = run.seconds
    assert seconds > 10.0
    time.sleep(0.01)
    assert run.seconds == seconds  # the clock runs only while training
    Loop(5, start=5, progress=False).run(step)  # already done: no step
    assert step.calls == [1, 2]


def test_run_counts_time_over_segments():
    run = Loop(2, progress=False)
    run.run(lambda: (time.sleep(0.02), {"d_loss": torch.tensor(0.0)})[1])
    first = run.seconds
    run.steps = 4
    run.run(lambda: (time.sleep(0.02), {"d_loss": torch.tensor(0.0)})[1])
    assert first >= 0.04 and run.seconds >= first + 0.04 and run.step == 4


@pytest.mark.parametrize("kwargs, match", [(dict(), "give steps"), (dict(steps=0), "steps"),
                                           (dict(steps=2.5), "steps"),
                                           (dict(minutes=0.0), "minutes"),
                                           (dict(minutes=float("nan")), "minutes")])
def test_bad_limits(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Loop(**kwargs)


# ----------------------------------------------------------------------------- Every
def test_every_calls_its_action_on_multiples_of_the_interval():
    seen, never = [], []
    Loop(10, progress=False).run(counting_step(), every=[Every(3, seen.append),
                                                         Every(None, never.append)])
    assert seen == [3, 6, 9] and never == []
    resumed = []
    Loop(10, start=4, progress=False).run(counting_step(), every=[Every(3, resumed.append)])
    assert resumed == [6, 9]


def test_every_sees_the_step_already_recorded():
    seen = []
    run = Loop(4, progress=False)

    def action(step):
        seen.append((step, run.step, len(run.history["d_loss"])))

    run.run(counting_step(), every=[Every(2, action)])
    assert seen == [(2, 2, 2), (4, 4, 4)]


@pytest.mark.parametrize("interval", [0, -2, 1.5])
def test_every_rejects_bad_intervals(interval):
    with pytest.raises(ValueError, match="interval"):
        Every(interval, print)


# ----------------------------------------------------------------------------- divergence
@pytest.mark.parametrize("bad, shown", [(float("nan"), "nan"), (float("inf"), "inf"),
                                        (-float("inf"), "-inf"), (2e6, "2e\\+06")])
def test_diverged_loss_names_the_loss_and_the_step(bad, shown):
    step = counting_step([1.0, 2.0, bad, 4.0])
    run = Loop(4, progress=False)
    with pytest.raises(DivergedError, match=rf"at step 3: d_loss became {shown}"):
        run.run(step)
    assert step.calls == [1, 2, 3] and run.step == 3 and len(run.history["d_loss"]) == 3
    assert issubclass(DivergedError, FloatingPointError)


def test_large_but_plausible_losses_are_not_divergence():
    step = counting_step([loop.DIVERGED_LOSS, -loop.DIVERGED_LOSS, 550.0])
    assert Loop(3, progress=False).run(step).step == 3


def test_only_the_named_losses_are_checked():
    def step():
        return {"loss": torch.tensor(1.0), "d_loss": torch.tensor(float("nan"))}

    run = Loop(2, losses=("loss",), progress=False).run(step)
    assert run.step == 2
    with pytest.raises(DivergedError, match="d_loss"):
        Loop(2, progress=False).run(step)


# ----------------------------------------------------------------------------- progress bar
def test_progress_bar_runs(capsys):
    run = Loop(loop.POSTFIX_EVERY + 1, desc="testing").run(counting_step())
    run.show(score="0.25")
    assert run.step == loop.POSTFIX_EVERY + 1 and run.shown == {"score": "0.25"}
    assert "testing" in capsys.readouterr().err


def test_progress_bar_shows_the_losses_and_shown_values(monkeypatch):
    bars = []

    class FakeBar:
        def __init__(self, **kwargs):
            self.kwargs, self.updates, self.postfixes, self.closed = kwargs, 0, [], False
            bars.append(self)

        def update(self, n):
            self.updates += n

        def set_postfix(self, values, refresh=True):
            self.postfixes.append(dict(values))

        def close(self):
            self.closed = True

    import tqdm.auto

    monkeypatch.setattr(tqdm.auto, "tqdm", FakeBar)
    run = Loop(2 * loop.POSTFIX_EVERY, start=1, desc="toy")
    run.show(fid="12.3")
    run.run(counting_step())
    (bar,) = bars
    assert bar.kwargs["total"] == 2 * loop.POSTFIX_EVERY and bar.kwargs["initial"] == 1
    assert bar.kwargs["desc"] == "toy" and bar.closed
    assert bar.updates == 2 * loop.POSTFIX_EVERY - 1
    # Step 50 is the 49th call, step 100 the 99th.
    assert bar.postfixes == [{"d_loss": "49.000", "g_loss": "0.500", "fid": "12.3"},
                             {"d_loss": "99.000", "g_loss": "0.500", "fid": "12.3"}]
    with pytest.raises(DivergedError):  # the bar is closed after an error too
        Loop(3).run(counting_step([1.0, float("nan"), 1.0]))
    assert bars[-1].closed and bars[-1] is not bar


# ----------------------------------------------------------------------------- conventions
def test_seeded_restores_the_callers_random_stream():
    torch.manual_seed(123)
    expected = torch.rand(4)
    torch.manual_seed(5)
    inside_expected = torch.rand(4)
    torch.manual_seed(123)
    with loop.seeded(5):
        inside = torch.rand(4)
    assert torch.equal(inside, inside_expected)
    assert torch.equal(torch.rand(4), expected)
    torch.manual_seed(123)
    with pytest.raises(KeyError):
        with loop.seeded(5):
            torch.rand(100)
            raise KeyError("boom")
    assert torch.equal(torch.rand(4), expected)  # restored after an error too


def test_random_generator_is_deterministic_and_private():
    torch.manual_seed(0)
    expected = torch.rand(3)
    torch.manual_seed(0)
    a, b, c = loop.random_generator(7), loop.random_generator(7), loop.random_generator(8)
    draws = torch.randn(5, generator=a)
    assert torch.equal(draws, torch.randn(5, generator=b))
    assert not torch.equal(draws, torch.randn(5, generator=c))
    assert a.device == torch.device("cpu")
    assert torch.equal(torch.rand(3), expected)  # the global stream was not touched


def test_threads_sets_and_restores_the_count():
    before = torch.get_num_threads()
    target = 1 if before != 1 else 2
    with loop.threads(target):
        assert torch.get_num_threads() == target
    assert torch.get_num_threads() == before
    with pytest.raises(RuntimeError, match="inside"):
        with loop.threads(target):
            raise RuntimeError("inside")
    assert torch.get_num_threads() == before
    with loop.threads(None):
        assert torch.get_num_threads() == before
    with pytest.raises(ValueError, match="threads"):
        with loop.threads(0):
            pass
    assert torch.get_num_threads() == before


def test_resolve_device(monkeypatch):
    assert loop.resolve_device("cpu") == torch.device("cpu")
    assert loop.resolve_device(torch.device("cpu")) == torch.device("cpu")
    with pytest.raises(ValueError, match="'tpu9'"):
        loop.resolve_device("tpu9")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ValueError, match="is_available"):
        loop.resolve_device("cuda")
    with pytest.raises(ValueError, match="'cuda:1'"):
        loop.resolve_device("cuda:1")
