from datetime import timedelta

from django.utils import timezone
from django.utils.timesince import timesince

from tracker.templatetags.tasklink import ago


def test_ago_says_just_now_for_the_last_minute_and_the_largest_unit_after():
    now = timezone.now()
    assert ago(now - timedelta(seconds=5)) == "just now"
    assert ago(now - timedelta(hours=3, minutes=20)) == "3\xa0hours ago"  # no break inside
    assert ago(None) == ""


def test_ago_words_every_age_as_timesince_does():
    """The quick path for the last four weeks says exactly what timesince says."""
    now = timezone.now()
    seconds = [60, 61, 119, 120, 3599, 3600, 3601, 86399, 86400, 172800, 604799, 604800]
    seconds += [n * 997 for n in range(1, 2500)]  # every unit, up to 4 weeks, then beyond
    for age in seconds:
        value = now - timedelta(seconds=age, microseconds=500)
        expected = f"{timesince(value, now=now, depth=1)} ago"
        assert ago(value) in (expected, f"{timesince(value, depth=1)} ago"), age
