"""Password rules for passwords people choose (set through the UI or the CLI).

At least 10 characters, not only digits, not the username. Demo users are created
directly by ``flask seed-demo`` with the documented demo password (``demo-2026``),
which these rules do not apply to (see SECURITY.md).
"""
from __future__ import annotations

MIN_LENGTH = 10


def password_problems(password: str, username: str | None = None) -> list[str]:
    """Why ``password`` is refused, in Chinese; an empty list when it is acceptable."""
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(f"密码至少 {MIN_LENGTH} 个字符（现在 {len(password)} 个）")
    if password.isdigit():
        problems.append("密码不能全是数字")
    if username and password.strip().casefold() == username.strip().casefold():
        problems.append("密码不能与用户名相同")
    return problems
