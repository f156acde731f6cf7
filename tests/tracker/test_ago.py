from datetime import timedelta

from django.utils import timezone

from tracker.templatetags.tasklink import ago


def test_ago_says_just_now_for_the_last_minute_and_the_largest_unit_after():
    now = timezone.now()
    assert ago(now - timedelta(seconds=5)) == "just now"
    assert ago(now - timedelta(hours=3, minutes=20)) == "3\xa0hours ago"  # no break inside
    assert ago(None) == ""
