"""Issue #39 (hostile pass 4): each item against a plain script or library, not the tool's
own output. Items 6 and 7 are in test_nothing_lost.py, 8 in test_cam.py, 18 in
test_images.py."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import jsonschema
import numpy
import pytest
import torch
import torchvision
from PIL import Image
from typer.testing import Result

import resnet_inspect
from resnet_inspect import InspectError, Preparation, cam, erf, predict, train_step
from resnet_inspect.capture.images.reading import converted

Run = Callable[..., Result]


@pytest.fixture
def photo(tmp_path: Path) -> Path:
    path = tmp_path / "photo.png"
    rng = numpy.random.default_rng(1)
    Image.fromarray(rng.integers(0, 256, (40, 50, 3), dtype=numpy.uint8)).save(path)
    return path


# Items 3 and 4: the library's image arguments -------------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        lambda p: erf("resnet18", (1, 3, 32, 32), images=p, samples=1),
        lambda p: predict(p),
        lambda p: train_step("resnet18", images=p),
    ],
    ids=["erf", "predict", "train_step"],
)
def test_a_str_or_a_path_is_one_path_never_its_characters(photo: Path, call: Callable) -> None:
    for given in (str(photo), photo):
        report = call(given)
        found = json.dumps(report.to_dict())
        assert str(photo) in found


def test_an_image_object_or_a_tensor_is_refused_in_one_sentence(photo: Path) -> None:
    for wrong in (Image.open(photo), torch.zeros(1, 3, 8, 8), 7):
        with pytest.raises(InspectError, match=r"^image must be a path") as raised:
            cam(wrong)  # type: ignore[arg-type]
        assert "\n" not in str(raised.value)
    with pytest.raises(InspectError, match="images must be a path"):
        predict(Image.open(photo))  # type: ignore[arg-type]
    with pytest.raises(InspectError, match="maps must be an int"):
        cam(photo, maps="3")  # type: ignore[arg-type]


# Item 13: image modes, against a conversion written out per mode --------------------------


def _written_out(values: numpy.ndarray, mode: str) -> numpy.ndarray:
    """What the model should see (8-bit grey), computed here from the raw values."""
    v = values.astype(numpy.float64)
    if mode == "F":
        return numpy.rint(numpy.clip(v, 0, 1) * 255).astype(numpy.uint8)
    if mode == "I" and v.max() > 65535:
        return numpy.rint(numpy.clip(v, 0, None) / v.max() * 255).astype(numpy.uint8)
    return numpy.rint(v / 65535 * 255).astype(numpy.uint8)


@pytest.mark.parametrize(
    ("mode", "values"),
    [
        ("I;16B", (numpy.arange(64 * 64).reshape(64, 64) * 16).astype(">u2")),
        ("I;16", (numpy.arange(64 * 64).reshape(64, 64) * 16).astype("<u2")),
        ("F", (numpy.arange(64 * 64).reshape(64, 64) / 4096).astype(numpy.float32)),
        ("I", (numpy.arange(64 * 64).reshape(64, 64) * 100_000).astype(numpy.int32)),
    ],
)
def test_wide_and_float_images_reach_the_model_as_their_values_say(
    tmp_path: Path, mode: str, values: numpy.ndarray
) -> None:
    path = tmp_path / "wide.tif"
    Image.frombytes(mode, (64, 64), values.tobytes()).save(path)
    with Image.open(path) as opened:
        opened.load()
        assert opened.mode == mode
        image, notes = converted(opened, 1)
    assert numpy.array_equal(numpy.asarray(image), _written_out(values, mode))
    assert 0 < numpy.asarray(image).mean() < 255  # neither all black nor all white
    assert len(notes) == 1


# Item 16: what is said of alpha -----------------------------------------------------------


def test_alpha_is_said_dropped_only_where_there_is_one() -> None:
    palette = Image.new("P", (4, 4))
    assert "alpha dropped" not in converted(palette, 3)[1]
    transparent = Image.new("P", (4, 4))
    transparent.info["transparency"] = 0
    assert "alpha dropped" in converted(transparent, 3)[1]
    notes = converted(Image.new("LA", (4, 4)), 3)[1]
    assert {"alpha dropped", "grayscale repeated to RGB"} <= notes


# Item 22: EXIF orientation ----------------------------------------------------------------


def test_an_exif_rotated_photo_reaches_cam_and_predict_upright(tmp_path: Path) -> None:
    rng = numpy.random.default_rng(2)
    upright = Image.fromarray(rng.integers(0, 256, (60, 40, 3), dtype=numpy.uint8))
    stored = upright.transpose(Image.Transpose.ROTATE_90)  # as a camera stores it
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to view"
    path = tmp_path / "sideways.jpg"
    stored.save(path, exif=exif, quality=100)
    with Image.open(path) as opened:
        opened.load()
        image, notes = converted(opened, 3, upright=True)
        viewed = __import__("PIL.ImageOps").ImageOps.exif_transpose(opened)
    assert image.size == viewed.size == (40, 60)
    assert numpy.array_equal(numpy.asarray(image), numpy.asarray(viewed.convert("RGB")))
    assert any("EXIF orientation (6)" in note for note in notes)
    small = Preparation(resize=32, crop=(32, 32))
    assert "EXIF orientation (6)" in cam(path, preparation=small).preprocessing


# Item 15: the schema takes timm's reports ------------------------------------------------


def test_a_timm_report_validates(run_cli: Run) -> None:
    pytest.importorskip("timm")
    result = run_cli(["tree", "--arch", "timm:resnet18", "--input", "1,3,32,32", "--json"])
    document = json.loads(result.stdout)
    assert document["model"]["kind"] == "timm"
    jsonschema.validate(document, resnet_inspect.json_schema())


# Item 25: small slips ---------------------------------------------------------------------


def test_a_labels_file_with_a_byte_order_mark(photo: Path, tmp_path: Path) -> None:
    labels = tmp_path / "labels.txt"
    labels.write_text("\n".join(f"thing {i}" for i in range(1000)), encoding="utf-8-sig")
    report = predict(photo, labels=str(labels), top=1000)
    assert sorted(p.name for p in report.predictions[0].top)[0] == "thing 0"


def test_a_mean_of_the_wrong_length_is_a_usage_error(photo: Path, run_cli: Run) -> None:
    result = run_cli(["predict", str(photo), "--mean", "0.5,0.5", "--std", "0.2,0.2"])
    assert result.exit_code == 2 and result.stderr.count("\n") == 1
    assert "--mean has 2 values for a model of 3 channels" in result.stderr


def test_cams_image_is_named_as_the_argument_it_is(run_cli: Run, tmp_path: Path) -> None:
    result = run_cli(["cam", str(tmp_path / "none.png")])
    assert result.exit_code == 2 and "IMAGE " in result.stderr and "--image" not in result.stderr


# Item 10: a checkpoint prepares its images as its architecture does -----------------------


def test_predict_on_a_checkpoint_normalises_with_or_without_arch(
    photo: Path, tmp_path: Path
) -> None:
    torch.manual_seed(4)
    weights = tmp_path / "r18.pth"
    torch.save(torchvision.models.resnet18().state_dict(), weights)
    small = resnet_inspect.ImageOptions(paths=(str(photo),), resize=64, crop=(64, 64))
    named = predict(small, "resnet18", weights=str(weights))
    inferred = predict(small, weights=str(weights))
    assert (
        named.preprocessing == inferred.preprocessing
        and "normalised by mean" in named.preprocessing
    )
    assert named.predictions == inferred.predictions


# Item 14: a stride is the conv's, whatever the map's side ---------------------------------


@pytest.mark.parametrize("side", [64, 99, 100])
@pytest.mark.parametrize("arch", ["resnet18", "resnet50", "timm:resnet50d"])
def test_stage_and_block_strides_are_the_convs_at_odd_sides(arch: str, side: int) -> None:
    if arch.startswith("timm:"):
        pytest.importorskip("timm")
    report = resnet_inspect.inspect_tree(arch, (1, 3, side, side))
    stages = [s for s in report.sections if s.name.startswith("layer")]
    # torchvision's and timm's ResNets: layer1 keeps the side, layer2-4 halve it
    assert [s.setting("stride") for s in stages] == [1, 2, 2, 2]
    assert [s.children[0].setting("stride") for s in stages] == [1, 2, 2, 2]


# Items 1 and 2: a wrapped ResNet, and the checkpoint its wrapper saved --------------------


class Wrapped(torch.nn.Module):
    """How a wheel on PyPI wraps a torchvision ResNet (issue #39, item 1)."""

    def __init__(self) -> None:
        super().__init__()
        self.backbone = torchvision.models.resnet18()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.backbone(x)  # type: ignore[no-any-return]


class TwoDeep(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.net = Wrapped()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)  # type: ignore[no-any-return]


def _hooked_order(model: torch.nn.Module, shape: tuple[int, ...]) -> list[str]:
    """The leaf modules in the order a plain forward-hook pass sees them run."""
    seen: list[str] = []
    for name, module in model.named_modules():
        if not list(module.children()):
            module.register_forward_hook(lambda m, i, o, name=name: seen.append(name))
    model.eval()
    with torch.no_grad():
        model(torch.rand(shape))
    return seen


@pytest.mark.parametrize("wrapper", [Wrapped, TwoDeep])
def test_a_wrapped_resnet_runs_in_forward_order_with_the_same_totals(wrapper: type) -> None:
    """In tree, graph, plan and freeze: the rows in the order a forward hook sees them run,
    the flatten in the head, and every total the unwrapped resnet18's."""
    shape, batch = (1, 3, 64, 64), (2, 3, 64, 64)
    torch.manual_seed(0)
    model = wrapper()
    report = resnet_inspect.inspect_tree(input_shape=shape, model=model)
    rows = [node.name for node in report.leaves() if node.module_call]
    assert rows == _hooked_order(model, shape)
    stem, head = report.sections[0], report.sections[-1]
    assert stem.output_shape == (1, 64, 16, 16)  # where a forward hook sees the stem end
    assert [node.name.rsplit(".", 1)[-1] for node in head.children] == ["avgpool", "flatten", "fc"]
    assert report.totals == resnet_inspect.inspect_tree("resnet18", shape).totals

    graph = resnet_inspect.graph(input_shape=batch, model=model, new_classes=10)
    plain = resnet_inspect.graph("resnet18", batch, new_classes=10)
    assert graph.summary.counts == plain.summary.counts
    by_section = graph.summary.saved_bytes_by_section
    assert list(by_section.values()) == list(plain.summary.saved_bytes_by_section.values())
    assert [(g.nodes, g.saved_bytes) for g in graph.sections] == [
        (g.nodes, g.saved_bytes) for g in plain.sections
    ]
    costs = resnet_inspect.plan(input_shape=batch, model=model, new_classes=10)
    reference = resnet_inspect.plan("resnet18", batch, new_classes=10)
    assert [(r.saved_bytes, r.live_peak_bytes, r.backward_flops) for r in costs.rows] == [
        (r.saved_bytes, r.live_peak_bytes, r.backward_flops) for r in reference.rows
    ]
    options = resnet_inspect.FreezeOptions(new_classes=10)
    tuned = resnet_inspect.freeze(input_shape=batch, model=model, options=options)
    assert tuned.freeze is not None and tuned.freeze.holds
    assert tuned.totals.trainable_params == 512 * 10 + 10
    assert [s.name.rsplit(".", 1)[-1] for s in tuned.sections[-1].children][:2] == [
        "avgpool",
        "flatten",
    ]


@pytest.mark.parametrize("prefix", ["backbone.", "encoder.", "net.", "model.backbone."])
def test_a_checkpoint_under_one_common_prefix_is_inferred(tmp_path: Path, prefix: str) -> None:
    torch.manual_seed(0)
    plain = torchvision.models.resnet18(num_classes=10)
    path = tmp_path / "wrapped.pth"
    torch.save({prefix + key: value for key, value in plain.state_dict().items()}, path)
    report = resnet_inspect.inspect_tree(weights=str(path))
    assert report.arch == "resnet18" and report.num_classes == 10
    assert report.totals.params == sum(p.numel() for p in plain.parameters())
    assert report.weights.keys == f"removed {prefix}"
    stepped = train_step(input_shape=(2, 3, 64, 64), weights=str(path))
    torch.manual_seed(0)
    model = torchvision.models.resnet18(num_classes=10)
    model.load_state_dict(plain.state_dict())
    assert stepped.step is not None
    assert stepped.totals.params == sum(p.numel() for p in model.parameters())


# Item 17: a step GradScaler skipped is not a layer that learns slowly ---------------------


def test_when_every_step_is_skipped_no_layer_is_said_to_barely_learn() -> None:
    import user_models
    from test_precision import backed_off, plain_amp_steps

    step = resnet_inspect.StepOptions(
        precision=resnet_inspect.Precision.FP16,
        loss=resnet_inspect.LossKind.CROSS_ENTROPY,
        steps=1,
        lr=1e4,
    )
    spec = f"{user_models.__file__}:tiny_resnet"
    report = train_step(input_shape=(2, 3, 32, 32), step=step, model=spec)
    _, _, _, scales = plain_amp_steps(
        user_models.tiny_resnet, resnet_inspect.Precision.FP16, 1, lr=1e4
    )
    assert report.step is not None and report.step.precision is not None
    scaler = report.step.precision.scaler
    assert scaler is not None and scaler.skipped_steps == backed_off(scales) == (1,)
    kinds = [flag.kind.value for flag in report.flags]
    assert "scaler_skipped" in kinds and "update_small" not in kinds


# Item 23: a map with no evidence says so --------------------------------------------------


def test_a_grad_cam_map_of_zeros_says_no_evidence_was_found(photo: Path) -> None:
    """Found by searching classes: one whose Grad-CAM (checked against the plain weighted
    sum's ReLU in test_cam.py) is 0 everywhere at layer4 of the seeded resnet18."""
    small = Preparation(resize=64, crop=(64, 64))
    for target in range(1000):
        report = cam(photo, target=target, preparation=small)
        if all(v == 0 for row in report.layers[0].grid for v in row):
            break
    else:
        raise AssertionError("no class without evidence at this seed: pick another photo")
    assert report.layers[0].no_evidence
    text = " ".join(repr(report).split())
    assert "no evidence: Grad-CAM is 0 everywhere" in text
    some = cam(photo, target=report.top[0].index, preparation=small)
    assert not some.layers[0].no_evidence
    assert "no evidence" not in repr(some)


# Items 19 and 25: the Hub cache ----------------------------------------------------------


def _hub(root: Path, repo: str, files: dict[str, bytes]) -> None:
    """A repository in huggingface_hub's cache layout, its files as the snapshot's."""
    snapshot = root / f"models--{repo.replace('/', '--')}" / "snapshots" / "0123abcd"
    snapshot.mkdir(parents=True)
    (snapshot.parents[1] / "refs").mkdir()
    (snapshot.parents[1] / "refs" / "main").write_text("0123abcd")
    for name, content in files.items():
        (snapshot / name).write_bytes(content)


def _state_bytes(model: torch.nn.Module) -> bytes:
    import io

    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    return buffer.getvalue()


def test_hub_label_names_of_the_wrong_length_are_said_not_used(
    photo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("huggingface_hub")
    from safetensors.torch import save

    model = torchvision.models.resnet18(num_classes=4)
    config = {"label_names": ["a", "b", "c"]}  # 3 names, 4 classes
    files = {"model.safetensors": save(model.state_dict()), "config.json": json.dumps(config)}
    _hub(
        tmp_path,
        "someone/pets",
        {k: v if isinstance(v, bytes) else v.encode() for k, v in files.items()},
    )
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path))
    report = predict(photo, weights="hf:someone/pets")
    assert (
        report.names_from.startswith("none used:") and "3 names for 4 classes" in report.names_from
    )
    assert all(p.name == "" for p in report.predictions[0].top)


def test_a_malformed_hub_config_is_one_line_not_a_silent_other_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, run_cli: Run
) -> None:
    pytest.importorskip("huggingface_hub")
    from safetensors.torch import save

    weights = save(torchvision.models.resnet18().state_dict())
    _hub(
        tmp_path,
        "someone/broken",
        {"model.safetensors": weights, "config.json": b'{"architecture": '},
    )
    result = run_cli(
        ["tree", "--weights", "hf:someone/broken"], env={"HF_HUB_CACHE": str(tmp_path)}
    )
    assert result.exit_code == 1 and result.stderr.count("\n") == 1
    assert "config.json cannot be read" in result.stderr


def test_a_hub_repository_with_only_pytorch_model_bin_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("huggingface_hub")
    torch.manual_seed(2)
    model = torchvision.models.resnet18(num_classes=5)
    _hub(tmp_path, "someone/old", {"pytorch_model.bin": _state_bytes(model)})
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path))
    report = resnet_inspect.inspect_tree(weights="hf:someone/old")
    assert report.num_classes == 5 and report.weights.kind == "hub"
    assert report.totals.params == sum(p.numel() for p in model.parameters())


# Item 20: plan --verify's child ends with its parent -------------------------------------


def test_a_verify_child_ends_when_its_parent_is_killed(tmp_path: Path) -> None:
    import os
    import signal
    import subprocess
    import sys
    import time

    parent = subprocess.Popen(
        [sys.executable, "-m", "resnet_inspect", "plan", "--new-classes", "10", "--input",
         "8,3,224,224", "--verify", "everything", "--no-cache"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip

    def children() -> list[int]:
        found = []
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                if int(fields[1]) == parent.pid:
                    found.append(int(entry))
        return found

    deadline = time.monotonic() + 120
    while not children() and time.monotonic() < deadline and parent.poll() is None:
        time.sleep(0.1)
    child = children()
    assert child, "the verify child never started"
    parent.send_signal(signal.SIGTERM)
    parent.wait(timeout=10)
    time.sleep(1.0)
    assert (
        not Path(f"/proc/{child[0]}").exists()
        or "Z" in Path(f"/proc/{child[0]}/stat").read_text().split()[2]
    )


# Item 11: a Hub repository's own pretrained_cfg -------------------------------------------


def test_hf_alone_takes_the_repositorys_input_size_and_preprocessing(
    photo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, run_cli: Run
) -> None:
    timm = pytest.importorskip("timm")
    pytest.importorskip("huggingface_hub")
    from safetensors.torch import save

    torch.manual_seed(0)
    model = timm.create_model("resnet18", num_classes=3)
    pretrained_cfg = {
        "input_size": [3, 96, 96],
        "crop_pct": 0.9,
        "interpolation": "bicubic",
        "mean": [0.5, 0.5, 0.5],
        "std": [0.25, 0.25, 0.25],
    }
    config = {"architecture": "resnet18", "num_classes": 3, "pretrained_cfg": pretrained_cfg}
    files = {
        "model.safetensors": save(model.state_dict()),
        "config.json": json.dumps(config).encode(),
    }
    _hub(tmp_path, "someone/small", files)
    env = {"HF_HUB_CACHE": str(tmp_path)}
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path))
    shown = json.loads(run_cli(["tree", "--weights", "hf:someone/small", "--json"], env=env).stdout)
    assert shown["input_shape"] == [1, 3, 96, 96]
    report = predict(photo, weights="hf:someone/small")
    # timm's own pipeline for that pretrained_cfg: the same tensor, so the same probabilities
    data_config = timm.data.resolve_data_config(pretrained_cfg=pretrained_cfg, model=model)
    transform = timm.data.create_transform(**data_config)
    model.eval()
    with torch.no_grad():
        scores = model(transform(Image.open(photo).convert("RGB"))[None])[0].double()
    expected = torch.softmax(scores, 0)
    for found in report.predictions[0].top:
        assert found.probability == pytest.approx(float(expected[found.index]), abs=1e-6)
    assert "mean (0.5, 0.5, 0.5)" in report.preprocessing


# Item 21: the library's defaults are the command line's ---------------------------------


def test_the_librarys_erf_measures_what_the_command_line_does(run_cli: Run) -> None:
    shown = json.loads(run_cli(["erf", "--samples", "2", "--json"]).stdout)
    made = erf(samples=2)
    assert list(made.input_shape) == shown["input_shape"] == [1, 3, 64, 64]
    assert made.to_dict()["heat"] == shown["heat"]


# Item 9: erf on a module called more than once ---------------------------------------------


def _plain_erf_at_call(layer: str, call: int, samples: int) -> torch.Tensor:
    """The mean |∂unit/∂x| of the centre unit of ``layer``'s ``call``-th output, written out."""
    torch.manual_seed(0)
    model = torchvision.models.resnet18().eval()
    data = torch.rand(samples, 3, 64, 64).requires_grad_(True)
    seen: list[torch.Tensor] = []
    module = model.get_submodule(layer)
    module.register_forward_hook(lambda m, i, o: seen.append(o.clone()))
    model(data)
    output = seen[call - 1]
    output[:, :, output.shape[2] // 2, output.shape[3] // 2].sum().backward()
    heat = data.grad.abs().double().sum(1).mean(0)  # type: ignore[union-attr]
    return heat / heat.sum()


@pytest.mark.parametrize("call", [1, 2])
def test_erf_measures_and_draws_the_field_of_one_same_call(call: int) -> None:
    name = "layer2.1.relu"
    report = erf("resnet18", layer=f"{name}:{call}", samples=2)
    assert report.layer == f"{name}:{call}"
    plain = _plain_erf_at_call(name, call, 2)
    assert torch.allclose(torch.tensor(report.heat, dtype=torch.float64), plain, atol=1e-12)
    tree = resnet_inspect.inspect_tree("resnet18", (1, 3, 64, 64))
    row = next(n for n in tree.nodes() if n.name == name and n.call == call)
    assert report.field == row.receptive_field


STATEFUL_STAGE = '''
import torch, torchvision


class CountingStage(torch.nn.Sequential):
    """A stage whose forward changes with each call: a counter scales its output."""

    calls = 0

    def forward(self, x):
        self.calls += 1
        return super().forward(x) * (1 + 0.1 * self.calls)


def build():
    model = torchvision.models.resnet18(num_classes=10)
    model.layer3 = CountingStage(*model.layer3)
    return model
'''


def test_checkpointing_a_stage_that_changes_with_each_call_fails_in_one_line(
    tmp_path: Path, run_cli: Callable[..., Result]
) -> None:
    """Item 12: torch's own check compares shapes only; the values are compared too, so a
    recomputation that differs fails instead of giving other gradients. A stage that does
    not change still checkpoints, and its gradients equal the step's without it."""
    source = tmp_path / "drifting.py"
    source.write_text(STATEFUL_STAGE)
    args = ["train-step", "--model", f"{source}:build", "--input", "2,3,64,64"]
    refused = run_cli([*args, "--checkpoint", "layer3"])
    assert refused.exit_code == 1, refused.output
    assert len(refused.output.strip().splitlines()) == 1 and "layer3" in refused.output
    fine = run_cli([*args, "--checkpoint", "layer2", "--json"])
    plain = run_cli([*args, "--json"])
    assert fine.exit_code == 0 and plain.exit_code == 0, fine.output
    grad = json.loads(fine.stdout)["step"]["global_grad_norm"]
    assert grad == pytest.approx(json.loads(plain.stdout)["step"]["global_grad_norm"], rel=1e-6)


def test_the_process_models_bounds_are_not_claimed_for_mixed_precision_rows() -> None:
    """Item 25's last slip: the ±28% was measured on float32 steps; a bf16 plan's footer
    says its rows are outside what was measured (the rows are bf16: a fact of the report)."""
    mixed = resnet_inspect.plan(
        "resnet18", (2, 3, 32, 32), new_classes=10, precisions=(resnet_inspect.Precision.BF16,)
    )
    assert {row.precision for row in mixed.rows} == {"bf16"}
    assert "bf16" in str(mixed).split("Process", 1)[1].split("units:", 1)[0]
    full = resnet_inspect.plan("resnet18", (2, 3, 32, 32), new_classes=10)
    assert "bf16" not in str(full)
