"""Password rules (at least 10 characters, not only digits, not the username) and
``flask --app wsgi users set-password USERNAME`` (asked twice). The demo users keep
the documented demo password: the rules apply to passwords people set."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from core.auth.passwords import password_problems
from core.extensions import db
from core.models import AuditEvent, User


@pytest.mark.parametrize("password, username, problems", [
    ("correct-horse", "alice", []),
    ("十个汉字也是十个字符呢", "alice", []),
    ("short-9ch", "alice", ["密码至少 10 个字符（现在 9 个）"]),
    ("1234567890", "alice", ["密码不能全是数字"]),
    ("123456789", "alice", ["密码至少 10 个字符（现在 9 个）", "密码不能全是数字"]),
    ("Boye_Reviewer", "boye_reviewer", ["密码不能与用户名相同"]),
    ("demo-2026", "boye_filer", ["密码至少 10 个字符（现在 9 个）"]),  # the demo password: demo users only
])
def test_rules(password, username, problems):
    assert password_problems(password, username) == problems


def set_password(runner, username, first, second=None):
    return runner.invoke(args=["users", "set-password", username], input=f"{first}\n{second or first}\n")


def test_set_password_asks_twice_and_changes_it(app, runner, people):
    user = people.user("someone", "filer", organization=people.organization("boye", "测试单位"))
    result = set_password(runner, "someone", "a-much-better-one")
    assert result.exit_code == 0, result.output
    assert "password of someone changed" in result.output
    assert "a-much-better-one" not in result.output  # typed hidden, never echoed
    db.session.expire_all()
    assert db.session.get(User, user.id).check_password("a-much-better-one")
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.password"))
    assert event.object_id == user.id and event.detail == {"username": "someone", "via": "cli"}


def test_set_password_refuses_a_weak_one_and_keeps_the_old(app, runner, people):
    user = people.user("someone", "filer", organization=people.organization("boye", "测试单位"))
    for weak in ("12345678901", "someone", "short"):
        result = set_password(runner, "someone", weak)
        assert result.exit_code == 1 and "password refused" in result.output, result.output
    db.session.expire_all()
    assert db.session.get(User, user.id).check_password("test-pass-1")


def test_set_password_needs_the_same_password_twice(app, runner, people):
    people.user("someone", "filer", organization=people.organization("boye", "测试单位"))
    result = runner.invoke(args=["users", "set-password", "someone"],
                           input="first-password-1\nsecond-password-2\nfirst-password-1\nfirst-password-1\n")
    assert "do not match" in result.output.lower() or "match" in result.output.lower()
    assert result.exit_code == 0  # asked again, then accepted


def test_set_password_for_an_unknown_user(app, runner):
    result = set_password(runner, "nobody", "a-much-better-one")
    assert result.exit_code == 1 and "no user named 'nobody'" in result.output


def test_demo_users_log_in_with_the_demo_password(app, runner, client):
    from demo import DEMO_PASSWORD
    from tests.conftest import login

    assert DEMO_PASSWORD == "demo-2026" and password_problems(DEMO_PASSWORD)  # below the rules, on purpose
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    with app.app_context():
        login(client, "boye_filer", DEMO_PASSWORD)
