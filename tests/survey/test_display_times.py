"""Times a user sees or downloads are in DISPLAY_TIMEZONE (北京时间 by default), never UTC
or the server's clock (issue 14, item 12): a response stored at 2023-06-30 17:30 UTC was
given on 2023-07-01 at 01:30 in Beijing — the next day, and the next half-year."""
from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timedelta, timezone

import openpyxl

from core.extensions import db
from survey.service import store_response
from tests.survey.conftest import log_in
from tests.survey.test_owner import ROWS, STRAIGHT, base, fields

STORED = datetime(2023, 6, 30, 17, 30, tzinfo=timezone.utc)
BEIJING = "2023-07-01 01:30"


def _survey_answered_at_the_half_year(futian):
    survey = futian.survey()
    for n, row in enumerate([ROWS[0], STRAIGHT]):  # the second is flagged (straight lining) and listed
        store_response(survey, fields(row), started_at=STORED - timedelta(minutes=3), device=f"d{n}", now=STORED)
    survey.status, survey.closed_at = "closed", STORED + timedelta(minutes=5)
    db.session.commit()
    return survey


def test_results_page_and_survey_page_show_beijing_time(app, client, futian):
    survey = _survey_answered_at_the_half_year(futian)
    log_in(client, "futian_a")
    results = client.get(base(futian, survey) + "/results").get_data(as_text=True)
    flagged = results[results.index('id="flagged"'):]
    assert f'<td class="nowrap">{BEIJING}</td>' in flagged
    assert "2023-06-30" not in results and "UTC" not in results
    updated = re.search(r"更新于 (\d{4}-\d\d-\d\d \d\d:\d\d)", results).group(1)
    now = datetime.now(timezone.utc) + timedelta(hours=8)
    assert abs(datetime.strptime(updated, "%Y-%m-%d %H:%M") - now.replace(tzinfo=None)) < timedelta(minutes=2)
    detail = client.get(base(futian, survey)).get_data(as_text=True)
    assert "已于 2023-07-01 01:35 结束。" in detail


def test_exports_are_in_beijing_time_labelled_and_a_real_date_cell(app, client, futian):
    survey = _survey_answered_at_the_half_year(futian)
    log_in(client, "futian_a")
    text = client.get(base(futian, survey) + "/export.csv").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0][1] == "提交时间（北京时间）"
    assert [row[1] for row in rows[1:]] == [BEIJING + ":00"] * 2

    book = openpyxl.load_workbook(io.BytesIO(client.get(base(futian, survey) + "/export.xlsx").data))
    sheet = book["答卷"]
    assert sheet.cell(row=1, column=2).value == "提交时间（北京时间）"
    cell = sheet.cell(row=2, column=2)
    assert cell.is_date and cell.value == datetime(2023, 7, 1, 1, 30)  # naive, in the display zone
    assert cell.value.tzinfo is None and cell.number_format == "yyyy-mm-dd hh:mm:ss"


def test_the_zone_is_the_installations_setting(app, client, futian):
    survey = _survey_answered_at_the_half_year(futian)
    app.config["DISPLAY_TIMEZONE"] = "Asia/Urumqi"  # UTC+6
    log_in(client, "futian_a")
    results = client.get(base(futian, survey) + "/results").get_data(as_text=True)
    assert '<td class="nowrap">2023-06-30 23:30</td>' in results
    rows = list(csv.reader(io.StringIO(client.get(base(futian, survey) + "/export.csv")
                                       .get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][1] == "提交时间（Asia/Urumqi）" and rows[1][1] == "2023-06-30 23:30:00"


def test_invitation_codes_file_is_stamped_in_beijing_time(app, client, futian, monkeypatch):
    import survey.owner as owner

    class Clock(datetime):
        @classmethod
        def now(cls, tz=None):
            return STORED if tz is not None else STORED.replace(tzinfo=None)

    monkeypatch.setattr(owner, "datetime", Clock)
    survey = futian.survey(mode="invitation", status="draft")
    log_in(client, "futian_a")
    from tests.survey.conftest import staff_token
    token = staff_token(client, base(futian, survey))
    response = client.post(base(futian, survey) + "/invitations", data={"csrf_token": token, "count": "2"})
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert f'invitations-{survey.slug}-20230701-013000.csv' in response.headers["Content-Disposition"]
