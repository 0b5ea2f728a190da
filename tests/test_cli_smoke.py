"""The CLI turns bad input into one line and exit code 2."""

from __future__ import annotations

from finishline.cli import main


def test_missing_file_is_one_line_exit_2(tmp_path, capsys):
    code = main(["summary", str(tmp_path / "nope.fit")])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and "nope.fit" in err


def test_unknown_format_is_one_line_exit_2(tmp_path, capsys):
    path = tmp_path / "notes.txt"
    path.write_text("hello, not an activity")
    code = main(["summary", str(path)])
    err = capsys.readouterr().err
    assert code == 2
    assert "not a FIT, GPX or TCX file" in err and "Traceback" not in err


def test_utf16_xml_is_sniffed():
    from finishline.io.source import sniff_format

    text = '<?xml version="1.0"?><TrainingCenterDatabase></TrainingCenterDatabase>'
    for encoding in ("utf-16", "utf-16-le", "utf-16-be", "utf-8-sig"):
        assert sniff_format(text.encode(encoding)) == "tcx", encoding


def test_an_error_from_a_pure_stage_still_names_the_file(tmp_path, capsys):
    # one GPS point a second for 10 s at the same place: readable, but no distance to split
    points = "".join(
        f'<trkpt lat="45.0" lon="7.0"><time>2024-10-06T08:00:{s:02d}Z</time></trkpt>'
        for s in range(10)
    )
    path = tmp_path / "still.gpx"
    path.write_text(
        '<?xml version="1.0"?><gpx version="1.1" xmlns="http://www.topografix.com/GPX/1/1">'
        f"<trk><trkseg>{points}</trkseg></trk></gpx>"
    )
    assert main(["splits", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "still.gpx" in err
