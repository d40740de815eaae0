"""pages.common.run_slots: the process-wide limit on training runs, and the message a refused tab sees."""

from types import SimpleNamespace

from pages.common.run_slots import Holder, RunSlots


class FakeWorker:
    """What RunSlots reads of a TrainingWorker: its snapshots (for the time left), done, stop."""

    def __init__(self, snapshots=(), done=False):
        self.snapshots, self.done, self.stopped = list(snapshots), done, False

    def snapshot(self):
        return self.snapshots

    def stop(self, timeout=None):
        self.stopped = True


def snap(status="running", step=0, steps=100, rate=10.0):
    return SimpleNamespace(status=status, step=step, steps=steps, steps_per_second=rate)


def test_a_full_server_refuses_with_who_and_how_long_then_frees_the_slot():
    slots = RunSlots(1)
    busy = Holder("tab-a", FakeWorker([snap(step=40, steps=100, rate=2.0)]), "adding: LSTM")
    assert slots.claim(busy) is None
    refused = slots.claim(Holder("tab-b", FakeWorker(), "copy: GRU"))
    assert "(adding: LSTM)" in refused and "1 run at a time" in refused and "in about 30 s" in refused
    assert slots.claim(Holder("tab-a", FakeWorker(), "again")) is None  # a tab may replace its own run
    slots.release("tab-a")
    assert slots.claim(Holder("tab-b", FakeWorker(), "copy: GRU")) is None


def test_finished_runs_give_their_slot_up():
    slots = RunSlots(2)
    done = FakeWorker(done=True)
    assert slots.claim(Holder("a", done, "one")) is None
    assert slots.claim(Holder("b", FakeWorker(), "two")) is None
    assert slots.claim(Holder("c", FakeWorker([snap(rate=0.0)]), "three")) is None  # "a" was done
    refused = slots.claim(Holder("d", FakeWorker(), "four"))
    assert "2 runs at a time" in refused and "when it finishes" in refused


def test_a_tab_that_stops_renewing_its_lease_loses_the_slot_and_its_run_stops():
    now = [0.0]
    slots = RunSlots(1, lease_seconds=10.0, clock=lambda: now[0])
    gone = FakeWorker([snap()])
    assert slots.claim(Holder("gone", gone, "adding: LSTM")) is None
    now[0] = 8.0
    assert "adding: LSTM" in slots.claim(Holder("other", FakeWorker(), "copy: GRU"))  # lease still valid
    slots.renew("gone")
    now[0] = 17.0  # 9 s after the renewal: still held
    assert slots.claim(Holder("other", FakeWorker(), "copy: GRU")) is not None and not gone.stopped
    now[0] = 18.5  # 10.5 s without a poll: the tab has gone
    assert slots.claim(Holder("other", FakeWorker(), "copy: GRU")) is None
    assert gone.stopped
    slots.renew("nobody")  # renewing a lease that does not exist is harmless
