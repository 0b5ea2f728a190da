"""The CLI turns bad input into one line and exit code 2."""

from __future__ import annotations

import re

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


def test_version_and_help_exit_0(capsys):
    import finishline

    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"finishline {finishline.__version__}"
    assert main(["--help"]) == 0
    assert "analyze" in capsys.readouterr().out


def test_every_numeric_option_is_checked_in_one_line(capsys):
    cases = [
        ["analyze", "x.fit", "--max-hr", "-5"],
        ["analyze", "x.fit", "--rest-hr", "nan"],
        ["analyze", "x.fit", "--age", "300"],
        ["analyze", "x.fit", "--body-mass", "0"],
        ["analyze", "x.fit", "--carbs-g-per-h", "-1"],
        ["analyze", "x.fit", "--critical-speed", "inf"],
        ["analyze", "x.fit", "--race-distance", "banana"],
        ["risk-splits", "x.csv", "--at", "2"],
        ["nonsense"],
    ]
    for argv in cases:
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and err.startswith("finishline: error:"), (argv, err)
        assert "Traceback" not in err


def test_train_prints_a_summary_not_json_by_default(tmp_path, capsys):
    import shutil

    from corpus import SAMPLE_RUNS

    for name in ("Slow10k.gpx", "GarminRun5.8km.fit"):
        shutil.copy(SAMPLE_RUNS / name, tmp_path / name)
    assert main(["train", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert re.match(r"runs +2 analysed", out) and "{" not in out
    assert len(out) < 1000


def test_train_follows_linked_folders_without_looping(tmp_path, capsys):
    import os
    import shutil

    from corpus import SAMPLE_RUNS

    real = tmp_path / "real"
    real.mkdir()
    shutil.copy(SAMPLE_RUNS / "Slow10k.gpx", real / "a.gpx")
    shutil.copy(SAMPLE_RUNS / "GarminRun5.8km.fit", real / "b.fit")
    archive = tmp_path / "archive"
    archive.mkdir()
    os.symlink(real, archive / "2024")
    os.symlink(archive, archive / "loop")  # a link back up must not loop forever
    (archive / "activities.csv").write_text("date,km\n2024-01-01,10\n")  # not Strava's index
    assert main(["train", str(archive)]) == 0
    out = capsys.readouterr().out
    assert re.match(r"runs +2 analysed, 1 files skipped", out)


MISSING_INPUTS = [
    ["summary", "{m}.fit"],
    ["splits", "{m}.fit"],
    ["analyze", "{m}.fit"],
    ["analyze", "{r}", "--plan", "{m}.json"],
    ["risk-splits", "{m}.csv", "--at", "30"],
    ["train", "{m}"],
    ["train", "{d}", "--athlete-config", "{m}.toml"],
    ["plan", "{m}.gpx", "--goal", "3:30:00"],
    ["plan", "{r}", "--season", "{m}"],
]


def test_a_missing_input_is_one_line_before_the_heavy_imports(tmp_path):
    """Every command names the path it cannot open, exit 2, without importing pandas."""
    import subprocess
    import sys

    run = tmp_path / "run.gpx"
    run.write_text("<gpx></gpx>")
    for argv in MISSING_INPUTS:
        args = [a.format(m=tmp_path / "missing", r=run, d=tmp_path) for a in argv]
        code = (
            "import sys; from finishline.cli import main; c = main(sys.argv[1:]); "
            "sys.exit(10 if 'pandas' in sys.modules else c)"
        )
        done = subprocess.run(
            [sys.executable, "-c", code, *args], capture_output=True, text=True, check=False
        )
        assert done.returncode == 2, (argv, done.returncode, done.stderr)
        line = done.stderr.strip()
        assert line.count("\n") == 0 and str(tmp_path / "missing") in line, (argv, line)


def test_a_folder_given_as_a_file_is_one_line(tmp_path, capsys):
    assert main(["analyze", str(tmp_path)]) == 2
    assert "is a folder, not a file" in capsys.readouterr().err


def test_blas_threads_are_one_unless_the_user_set_them():
    """The commands run numpy's BLAS single-threaded; a user's own setting is kept."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    run = Path(__file__).resolve().parents[1] / "sample_runs" / "Slow10k.gpx"
    code = (
        "import os, sys; from finishline.cli import main; main(['summary', sys.argv[1]]); "
        "print(os.environ.get('OPENBLAS_NUM_THREADS'))"
    )
    for given, expected in ((None, "1"), ("3", "3")):
        env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
        if given is not None:
            env["OPENBLAS_NUM_THREADS"] = given
        done = subprocess.run(
            [sys.executable, "-c", code, str(run)], capture_output=True, text=True, env=env
        )
        assert done.stdout.strip().splitlines()[-1] == expected, done.stderr


def test_the_installed_command_runs_main_then_freezes_the_collector():
    """``finishline`` is :func:`console`: main's exit code and output, a frozen collector after."""
    import json
    import subprocess
    import sys
    from importlib.metadata import entry_points
    from pathlib import Path

    (script,) = entry_points(group="console_scripts", name="finishline")
    assert script.value == "finishline.cli:console"
    run = Path(__file__).resolve().parents[1] / "sample_runs" / "Slow10k.gpx"
    code = (
        "import gc, sys; from finishline.cli import console; c = console(sys.argv[1:]); "
        "print('frozen', gc.get_freeze_count(), file=sys.stderr); sys.exit(c)"
    )
    for argv, exit_code in ((["summary", str(run), "--json"], 0), (["summary", "nope.fit"], 2)):
        done = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True)
        assert done.returncode == exit_code, done.stderr
        frozen = done.stderr.strip().splitlines()[-1].split()
        assert frozen[0] == "frozen" and int(frozen[1]) > 0, done.stderr
        if exit_code == 0:
            assert json.loads(done.stdout)["distance_m"] > 9_000
