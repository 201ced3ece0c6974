"""The promises under hostile use: one line and the right exit status, never a traceback;
usage errors before torch; streams that fail; saves that are all or nothing; strict JSON;
run-time messages that name the real cause; a library that refuses what the CLI refuses.

Whatever is about the process (exit codes, signals, streams, files) runs as a subprocess.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import torch
from typer.testing import Result

import user_models
from conftest import TORCH_PROBE, probed_run
from resnet_inspect import graph, inspect_tree, train_step
from resnet_inspect.config import FreezeOptions, StepOptions
from resnet_inspect.errors import InspectError, OptionError, debugging
from resnet_inspect.views.files import Output, write_all

Run = Callable[..., Result]
TOOL = [sys.executable, "-m", "resnet_inspect"]
MODELS = Path(user_models.__file__)


def run(args: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "80", "NO_COLOR": "1", **kwargs.pop("env", {})}  # type: ignore[dict-item]
    return subprocess.run(
        [*TOOL, *args], capture_output=True, text=True, env=env, timeout=120, **kwargs
    )


def one_line(stderr: str) -> str:
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    return lines[0]


# 1. Names checked strictly --------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--unfreeze", "layer4.0.relu.weight"], "is not in resnet18"),
        (["--unfreeze", "layer9"], "is not in resnet18"),
        (["--unfreeze", "avgpool"], "'avgpool' holds no parameters"),
        (["--unfreeze", "layer4,layer4"], "names 'layer4' twice"),
        (["--unfreeze", "conv1.bias"], "is not in resnet18"),  # torchvision's convs have none
        (
            ["--model", f"{MODELS}:cifar_from_scratch", "--unfreeze", "layer1.0.shortcut"],
            "'layer1.0.shortcut' holds no parameters",
        ),
        (
            ["--model", f"{MODELS}:cifar_from_scratch", "--unfreeze", "fc"],
            "'fc' is neither a module nor a parameter",
        ),
    ],
)
def test_unfreeze_names_must_exist_and_hold_parameters(
    run_cli: Run, args: list[str], fragment: str
) -> None:
    result = run_cli(["freeze", "--new-classes", "3", "--input", "2,3,32,32", *args])
    assert result.exit_code == 2
    assert fragment in one_line(result.stderr)


def test_a_parameter_the_model_has_can_be_unfrozen(run_cli: Run) -> None:
    args = ["freeze", "--new-classes", "3", "--input", "2,3,32,32", "--json"]
    result = run_cli([*args, "--unfreeze", "layer4.1.bn2.weight"])
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["totals"]["trainable_params"] == 512 * 3 + 3 + 512


# 2. Numbers torch cannot hold are usage errors, before torch ------------------------------


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["train-step", "--seed", "99999999999999999999999"], "from -2^63 to 2^64 - 1"),
        (["freeze", "--new-classes", "2", "--seed", "-99999999999999999999999"], "-2^63"),
        (["tree", "--input", "99999999999,3,64,64"], "at most 2,147,483,647"),
        (["tree", "--input", "2000000000,2000000000,3,3"], "at most 2^60"),
        (["freeze", "--new-classes", "99999999999"], "≤ 2,147,483,647"),
        (["train-step", "--lr", "1e39"], "at most 3.4e38 (float32)"),
        (["train-step", "--lr", "nan"], "greater than 0"),
        (["train-step", "--weight-decay", "1e39"], "at most 3.4e38"),
        (["freeze", "--new-classes", "2", "--weight-decay", "inf"], "at most 3.4e38"),
    ],
)
def test_overflowing_numbers_are_usage_errors_before_torch(args: list[str], fragment: str) -> None:
    status, lines = probed_run(args)
    assert status == 2, lines
    first, probe = lines
    assert fragment in first
    assert probe == "torch-loaded=False"


# 3. One preflight for every command that runs in train mode -----------------------------


@pytest.mark.parametrize(
    "args",
    [["graph"], ["train-step"], ["freeze", "--new-classes", "2"], ["graph", "--new-classes", "2"]],
)
def test_every_train_mode_command_refuses_a_batchnorm_it_cannot_feed(
    run_cli: Run, args: list[str]
) -> None:
    result = run_cli([*args, "--input", "1,3,32,32"])
    assert result.exit_code == 2
    assert "layer4.0.bn1 would see 1 value per channel" in one_line(result.stderr)


# 4. The debug switch ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "on"),
    [("0", False), ("", False), ("no", False), ("off", False), ("1", True), ("true", True)],
)
def test_only_a_true_debug_switch_counts(
    value: str, on: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RESNET_INSPECT_DEBUG", value)
    assert debugging() is on


def test_the_debug_switch_shows_a_real_traceback(run_cli: Run) -> None:
    # On: a real process prints the user code's traceback. Off: the same failure in one line
    # (the CLI's own handling, the same in process).
    result = run(["tree", "--model", f"{MODELS}:raises"], env={"RESNET_INSPECT_DEBUG": "1"})
    assert result.returncode == 1 and "Traceback" in result.stderr
    quiet = run_cli(["tree", "--model", f"{MODELS}:raises"], env={"RESNET_INSPECT_DEBUG": "0"})
    assert quiet.exit_code == 1
    assert "raised RuntimeError: the weights server is down" in one_line(quiet.stderr)


# 5. Streams that fail ---------------------------------------------------------------------


@pytest.mark.parametrize("view", [[], ["--json"]])
def test_a_full_disk_on_stdout_is_one_line_and_exit_1(
    view: list[str], warm_cache: dict[str, str]
) -> None:
    with open("/dev/full", "w") as full:
        result = subprocess.run(
            [*TOOL, "tree", *view],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
            env={**os.environ, **warm_cache},
        )
    assert result.returncode == 1
    assert "No space left on device" in one_line(result.stderr)


@pytest.mark.parametrize("view", [[], ["--json"]])
def test_a_closed_stdout_is_one_line_and_exit_1(view: list[str]) -> None:
    command = " ".join([sys.executable, "-m", "resnet_inspect", "tree", *view])
    result = subprocess.run(
        ["bash", "-c", f"{command} >&-"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1
    assert "standard output is closed" in one_line(result.stderr)


@pytest.mark.parametrize("view", [["--arch", "resnet152"], ["--json"]])
def test_a_reader_that_goes_away_is_a_quiet_exit_0(
    view: list[str], warm_cache: dict[str, str]
) -> None:
    command = " ".join([sys.executable, "-m", "resnet_inspect", "tree", *view])
    result = subprocess.run(
        ["bash", "-c", f"{command} | head -c 20 > /dev/null; echo ${{PIPESTATUS[0]}}"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **warm_cache},
    )
    assert result.stdout.strip() == "0"
    assert result.stderr == ""


@pytest.mark.parametrize("columns", [0, 5])
def test_a_tiny_or_zero_width_draws_at_40_columns(columns: int, run_cli: Run) -> None:
    result = run_cli(["tree", "--depth", "stage"], width=columns)
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert len(lines) > 8 and max(len(line) for line in lines) <= 40


ASCII_STREAMS = [
    {"PYTHONIOENCODING": "ascii"},
    {"LC_ALL": "C", "LANG": "C", "PYTHONUTF8": "0", "PYTHONIOENCODING": ""},  # a C locale
]


@pytest.mark.parametrize("encoding", ASCII_STREAMS)
def test_a_stream_that_cannot_encode_the_glyphs_gets_ascii(
    encoding: dict[str, str], warm_cache: dict[str, str]
) -> None:
    encoding = {**encoding, **warm_cache}
    result = run(["tree"], env=encoding)
    assert result.returncode == 0, result.stderr
    assert result.stdout.isascii() and "1x64x16x16" in result.stdout
    as_json = run(["tree", "--json", "--lang", "zh"], env=encoding)
    assert as_json.returncode == 0 and as_json.stdout.isascii()
    assert json.loads(as_json.stdout)["sections"][0]["annotation"]
    chinese = run(["tree", "--lang", "zh"], env=encoding)
    assert chinese.returncode == 1 and "cannot show --lang zh" in one_line(chinese.stderr)


def _loaded(pid: int, library: str) -> bool:
    try:
        return library in Path(f"/proc/{pid}/maps").read_text()
    except OSError:
        return False


# "While modules import": once torch's library is being mapped. Before the interpreter has
# started at all, a signal's default action ends any program, before any of its code runs;
# waiting for the library keeps the test about this program on a busy machine too.
@pytest.mark.parametrize("after", [0.0, 0.2, 0.5, 1.0, 1.5])
def test_ctrl_c_at_any_moment_is_one_line_and_exit_130(after: float) -> None:
    child = subprocess.Popen(
        [*TOOL, "tree", "--arch", "resnet152", "--input", "64,3,512,512"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while not _loaded(child.pid, "libtorch") and child.poll() is None:
        if time.monotonic() > deadline:
            break
        time.sleep(0.01)
    time.sleep(after)
    child.send_signal(signal.SIGINT)
    _, stderr = child.communicate(timeout=60)
    if child.returncode == 0:
        pytest.skip("finished before the signal came")
    assert child.returncode == 130
    assert one_line(stderr) == "resnet-inspect: error: interrupted"


# 6. Saves that are all or nothing ---------------------------------------------------------


def test_a_failed_save_leaves_an_existing_target_byte_identical(tmp_path: Path) -> None:
    kept = tmp_path / "kept.txt"
    kept.write_bytes(b"what was there before\n")
    result = run(
        ["tree", "--save-text", str(kept), "--save-html", str(tmp_path / "missing" / "x.html")]
    )
    assert result.returncode == 1
    assert "--save-html" in one_line(result.stderr)
    assert kept.read_bytes() == b"what was there before\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kept.txt"]


def test_a_write_that_fails_half_way_writes_nothing_new(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kept = tmp_path / "kept.svg"
    kept.write_text("old")
    real_fsync = os.fsync
    calls = []

    def full_disk(fd: int) -> None:
        calls.append(fd)
        if len(calls) == 2:  # the second file: the disk is full
            raise OSError(28, "No space left on device")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", full_disk)
    outputs = [
        Output("--save-svg", str(kept), "new"),
        Output("--dot", str(tmp_path / "g.dot"), "x"),
    ]
    with pytest.raises(InspectError, match=r"--dot .*No space left on device"):
        write_all(outputs)
    assert kept.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kept.svg"]


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--save-svg", "{d}/a.svg", "--save-html", "{d}/missing/x.html"], "no such directory"),
        (["--save-svg", "{d}/same", "--save-text", "{d}/same"], "--save-svg writes it too"),
        (["--save-text", "{d}"], "a directory"),
        (["--save-text", "/dev/full"], "not a regular file"),
        (["--weights", "{d}/w.pth", "--save-text", "{d}/w.pth"], "it is the --weights file"),
    ],
)
def test_every_target_is_checked_before_any_work(
    tmp_path: Path, args: list[str], fragment: str
) -> None:
    torch.save(user_models.tiny_resnet().state_dict(), tmp_path / "w.pth")
    before = {p: p.read_bytes() for p in tmp_path.iterdir()}
    result = subprocess.run(
        [sys.executable, "-c", TORCH_PROBE, "tree", *(a.format(d=tmp_path) for a in args)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    first, probe = result.stderr.splitlines()
    assert fragment in first and probe == "torch-loaded=False"
    assert {p: p.read_bytes() for p in tmp_path.iterdir()} == before


# 7. Strict JSON ---------------------------------------------------------------------------


def _strict(text: str) -> dict[str, object]:
    def refuse(constant: str) -> None:
        raise ValueError(f"non-standard JSON constant {constant}")

    data: dict[str, object] = json.loads(text, parse_constant=refuse)
    return data


def test_non_finite_numbers_are_null_and_listed(run_cli: Run) -> None:
    from jsonschema import validate

    from resnet_inspect import json_schema

    result = run_cli(["train-step", "--lr", "3e38", "--input", "2,3,64,64", "--json"])
    assert result.exit_code == 0
    data = _strict(result.stdout)
    assert data["non_finite"] and all(isinstance(p, str) for p in data["non_finite"])  # type: ignore[union-attr]
    validate(data, json_schema())
    ordinary = _strict(run_cli(["tree", "--json"]).stdout)
    assert ordinary["non_finite"] == []


def test_a_path_with_undecodable_bytes_still_gives_utf8_json(tmp_path: Path) -> None:
    name = os.fsencode(tmp_path) + b"/w\xff\xfe.pth"
    torch.save(user_models.tiny_resnet().state_dict(), name.decode("utf-8", "surrogateescape"))
    result = subprocess.run(
        [*TOOL, "tree", "--json", "--weights", os.fsdecode(name)], capture_output=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    data = _strict(result.stdout.decode("utf-8"))  # strict UTF-8: raises on a bad byte
    assert data["weights"]["name"].startswith("w")  # type: ignore[index]


# 8. Run-time messages that name the real cause --------------------------------------------


def test_torch_home_that_is_a_file_gets_the_offline_weights_message(
    run_cli: Run, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    home.write_text("")
    result = run_cli(["train-step", "--weights", "DEFAULT"], env={"TORCH_HOME": str(home)})
    assert result.exit_code == 1
    line = one_line(result.stderr)
    assert "is not cached and could not be downloaded" in line and "TORCH_HOME" in line


@pytest.mark.parametrize("path", ["/dev/zero", "fifo"])
def test_a_pipe_or_device_as_weights_is_not_called_a_directory(
    run_cli: Run, tmp_path: Path, path: str
) -> None:
    if path == "fifo":
        path = str(tmp_path / "fifo")
        os.mkfifo(path)
    result = run_cli(["tree", "--weights", path])
    assert result.exit_code == 2
    line = one_line(result.stderr)
    assert "not a regular file" in line and "directory" not in line


def test_an_unreadable_checkpoint_is_not_called_truncated(
    run_cli: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "w.pth"
    torch.save(user_models.tiny_resnet().state_dict(), path)
    real_open = open

    def denied(file: object, *args: object, **kwargs: object) -> object:
        if str(file) == str(path):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(file, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr("builtins.open", denied)  # root may read anything: simulated
    result = run_cli(["tree", "--weights", str(path)])
    assert result.exit_code == 1
    line = one_line(result.stderr)
    assert "cannot be read (Permission denied)" in line and "truncated" not in line


@pytest.mark.parametrize("arch", [["--arch", "resnet18"], []])
def test_a_zero_class_checkpoint_is_refused(run_cli: Run, tmp_path: Path, arch: list[str]) -> None:
    state = user_models.tiny_resnet().state_dict()
    state["fc.weight"], state["fc.bias"] = torch.zeros(0, 512), torch.zeros(0)
    torch.save(state, tmp_path / "zero.pth")
    result = run_cli(["tree", *arch, "--weights", str(tmp_path / "zero.pth")])
    assert result.exit_code == 1
    assert "0 classes" in one_line(result.stderr) or "at least one class" in result.stderr


def test_a_huge_head_is_blamed_not_the_input(run_cli: Run) -> None:
    result = run_cli(["freeze", "--new-classes", "100000000"])
    assert result.exit_code == 1
    line = one_line(result.stderr)
    assert "use fewer --new-classes" in line and "--input" not in line


def test_a_weights_name_wins_over_a_file_of_that_name(
    run_cli: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    torch.save(user_models.tiny_resnet().state_dict(), tmp_path / "DEFAULT")
    named = json.loads(run_cli(["tree", "--weights", "DEFAULT", "--json"]).stdout)
    assert named["weights"]["kind"] == "pretrained"
    as_file = json.loads(run_cli(["tree", "--weights", "./DEFAULT", "--json"]).stdout)
    assert as_file["weights"]["kind"] == "file" and as_file["num_classes"] == 7


# 9. The library refuses what the CLI refuses ----------------------------------------------


@pytest.mark.parametrize(
    ("make", "error", "fragment"),
    [
        (lambda: StepOptions(lr=float("nan")), OptionError, "--lr nan"),
        (lambda: StepOptions(lr=0.0), OptionError, "greater than 0"),
        (lambda: StepOptions(momentum=1.5), OptionError, "[0, 1)"),
        (lambda: StepOptions(weight_decay=-1.0), OptionError, "--weight-decay"),
        (lambda: StepOptions(lr="0.1"), TypeError, "lr must be a number"),  # type: ignore[arg-type]
        (lambda: FreezeOptions(new_classes=0), OptionError, "--new-classes 0"),
        (lambda: FreezeOptions(unfreeze="layer4"), TypeError, "unfreeze must be a tuple"),  # type: ignore[arg-type]
        (lambda: graph(unfreeze=("layer4",)), OptionError, "goes with --new-classes"),
        (lambda: graph(new_classes=0), OptionError, "--new-classes 0"),
        (lambda: inspect_tree(18), TypeError, "arch must be a name"),  # type: ignore[arg-type]
        (lambda: inspect_tree(input_shape=[1, 3, 64, 64]), TypeError, "input_shape"),  # type: ignore[arg-type]
        (lambda: inspect_tree(input_shape=(0, 3, 64, 64)), OptionError, "from 1 to"),
        (lambda: inspect_tree(input_shape=(1, 3, 64)), OptionError, "4 whole numbers"),  # type: ignore[arg-type]
        (lambda: inspect_tree(input_shape=(True, 3, 64, 64)), TypeError, "input_shape"),
        (lambda: train_step(seed=2**70), OptionError, "--seed"),
    ],
)
def test_the_library_refuses_what_the_cli_refuses(
    make: Callable[[], object], error: type[Exception], fragment: str
) -> None:
    with pytest.raises(error) as raised:
        make()
    assert fragment in str(raised.value)


# 10. Nothing written unless asked --------------------------------------------------------


# Three commands in one interpreter, as three runs would make them (torch's import, which
# creates $TMPDIR/torchinductor_$USER unless told otherwise, happens in the first).
_THREE_RUNS = """
import sys
from resnet_inspect.__main__ import main
for args in (["tree"], ["graph"], ["train-step", "--input", "2,3,64,64", "--loss", "mse"]):
    sys.argv = ["resnet-inspect", *args]
    try:
        main()
    except SystemExit as done:
        assert done.code in (0, None), (args, done.code)
"""


def test_a_run_leaves_nothing_in_the_temporary_folder(tmp_path: Path) -> None:
    """Three commands in one process leave no file behind, and no torch warning (mse's
    broadcasting, the meta device's) reaches stderr."""
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    env = {**os.environ, "TMPDIR": str(temporary), "NO_COLOR": "1"}
    result = subprocess.run(
        [sys.executable, "-c", _THREE_RUNS], capture_output=True, text=True, env=env, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == "" and result.stdout.count("resnet18 ·") == 3
    assert list(temporary.iterdir()) == []
