"""The in-process scheduler: a feature's job is registered once, and an hourly one runs once an hour
however often the scheduler ticks (every 30 s by default)."""
from webapp import scheduler


def test_an_hourly_job_runs_once_per_hour_and_per_app_and_is_registered_once(app, make_app):
    runs: list[int] = []
    try:
        scheduler.add_job("test-hourly", lambda a: runs.append(id(a)), every_seconds=3600)
        scheduler.add_job("test-hourly", lambda a: runs.append(-1), every_seconds=3600)  # a second app's init
        assert [name for name, _job in scheduler.JOBS].count("test-hourly") == 1
        scheduler.run_once(app)
        scheduler.run_once(app)
        assert runs == [id(app)]
        other = make_app()
        scheduler.run_once(other)
        assert runs == [id(app), id(other)]
    finally:
        scheduler.JOBS[:] = [(name, job) for name, job in scheduler.JOBS if name != "test-hourly"]
