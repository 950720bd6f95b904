"""Tests of the Python bindings (the package edgetrain), on tiny models and random data."""
import os
import threading

import numpy as np
import pytest

import edgetrain as et

ARCH = "lenet5"  # 1x28x28, 10 classes, ~62k parameters: fast on any CPU


def batch(n, seed=0, chw=(1, 28, 28), classes=10):
    """Random images [n, C, H, W] float32 in [0, 1] and int32 labels [n]."""
    rng = np.random.default_rng(seed)
    images = rng.random((n,) + tuple(chw), dtype=np.float32)
    labels = (np.arange(n) % classes).astype(np.int32)
    return images, labels


@pytest.fixture
def model():
    return et.Model.zoo(ARCH)


# ---- module, options ----------------------------------------------------------------------------

def test_version_and_log_level():
    assert et.version().count(".") == 2
    assert et.__version__ == et.version()
    et.set_log_level(0)
    assert et.log_level() == 0
    assert et.parse_bytes("2K") == 2048
    assert "KiB" in et.format_bytes(2048)


def test_options_keyword_constructors():
    o = et.TrainingOptions(batch=4, trainable="last:2", freeze_bn=True)
    assert o.batch == 4 and o.freeze_bn
    assert o.trainable.mode == et.Trainable.Mode.last_k and o.trainable.k == 2
    o.optimizer.lr = 0.05  # nested structs are edited in place
    o.optimizer.kind = et.Optimizer.sgd
    assert o.optimizer.lr == 0.05 and o.optimizer.base_lr() == 0.05
    assert "batch=4" in repr(o)
    with pytest.raises(TypeError):
        et.TrainingOptions(bacth=4)
    assert str(et.Trainable.parse("names:fc.*,conv1.weight")) == "names:fc.*,conv1.weight"
    assert et.Trainable.last(3).str() == "last:3"
    assert et.Trainable.classifier().mode == et.Trainable.Mode.classifier
    with pytest.raises(et.Error):
        et.Trainable.parse("bogus")
    s = et.ScheduleOptions.over_epochs(et.Schedule.cosine, epochs=3, steps_per_epoch=10)
    assert s.kind == et.Schedule.cosine and s.total_steps > 0
    assert et.EngineOptions(backend=et.Backend.reference).backend == et.Backend.reference
    assert et.EngineOptions(precision=et.Precision.bf16).precision == et.Precision.bf16
    assert et.PruneOptions(criterion=et.PruneCriterion.l1, level=0.3).level == 0.3


# ---- model ----------------------------------------------------------------------------------------

def test_zoo_and_describe(model):
    assert {"fmnist-cnn", "lenet5"} <= set(et.Model.zoo_names())
    assert model.arch == ARCH and model.input_chw == [1, 28, 28] and model.num_classes == 10
    d = model.describe()
    assert d.num_classes == 10 and d.input_chw == [1, 28, 28]
    assert d.layers and all(isinstance(layer, et.LayerInfo) for layer in d.layers)
    assert d.params == sum(layer.params for layer in d.layers) > 0
    assert d.macs > 0
    m5 = et.Model.zoo(ARCH, et.ModelOptions(num_classes=5))
    assert m5.num_classes == 5
    assert model.with_num_classes(3).num_classes == 3


def test_parameters_numpy_round_trip(model):
    info = [p for p in model.parameters() if not p.is_state][0]
    w = model.parameter(info.name)
    assert w.dtype == np.float32 and list(w.shape) == info.shape
    model.set_parameter(info.name, w * 2)
    np.testing.assert_array_equal(model.parameter(info.name), w * 2)
    clone = model.clone()
    model.set_parameter(info.name, w)
    np.testing.assert_array_equal(clone.parameter(info.name), w * 2)  # clone has its own weights
    with pytest.raises(et.Error):
        model.parameter("no.such.parameter")
    with pytest.raises(et.Error):
        model.set_parameter(info.name, np.zeros(3, np.float32))


def test_normalize(model):
    model.set_normalization([0.5], [0.25])
    assert model.mean == [0.5] and model.stddev == [0.25]
    x, _ = batch(2)
    np.testing.assert_allclose(model.normalize(x), (x - 0.5) / 0.25, rtol=1e-6)


def test_pruned_is_smaller(model):
    small = model.pruned(et.PruneOptions(level=0.5))
    assert small.parameter_count < model.parameter_count


# ---- data -----------------------------------------------------------------------------------------

def test_ranking_prunes_models_and_a_training_session(model, tmp_path):
    ranking = et.ChannelRanking.rank(model)
    assert ranking.criterion == et.PruneCriterion.l1 and ranking.channels > 0
    light, heavy = model.pruned(ranking, 0.3), model.pruned(ranking, 0.6)
    assert model.parameter_count > light.parameter_count > heavy.parameter_count
    with pytest.raises(et.Error):
        heavy.pruned(ranking, 0.3)  # ranked for another model
    assert et.needs_data(et.PruneCriterion.taylor) and not et.needs_data(et.PruneCriterion.l1)
    session = et.TrainingSession(model, et.TrainingOptions(batch=8, optimizer=et.OptimizerOptions(kind=et.Optimizer.sgd)))
    images, labels = batch(8, seed=6)
    session.step(images, labels)
    level = session.prune(ranking, 0.5)
    assert 0.4 < level < 0.6 and session.steps_done == 1
    assert session.model.parameter_count < model.parameter_count
    assert np.isfinite(session.step(images, labels).loss)
    path = str(tmp_path / "pruned.ckpt")
    session.save_checkpoint(path)
    assert et.TrainingSession.can_resume(path)
    session.model.save(path, {"note": "pruned"})
    assert not et.TrainingSession.can_resume(path)


def test_dataset_from_arrays_copies():
    x, y = batch(20, seed=1)
    ds = et.Dataset.from_arrays(x, y)
    assert ds.size() == len(ds) == 20 and ds.sample_shape == [1, 28, 28]
    assert ds.class_names == [str(i) for i in range(10)]
    expected = x[3].copy()
    x[3] = 0  # a copy: later changes do not reach the data set
    np.testing.assert_array_equal(ds.read(3), expected)
    assert ds.label(3) == 3
    ds64 = et.Dataset.from_arrays(x.astype(np.float64), y.astype(np.int64))  # converted
    assert ds64.label(7) == 7
    with pytest.raises(et.ArrayError):
        et.Dataset.from_arrays(x, y[:5])
    sub = ds.subset(["1", "2"])
    assert len(sub) == 4 and sorted({sub.label(i) for i in range(len(sub))}) == [0, 1]
    mean, std = ds.statistics()
    assert len(mean) == 1 and len(std) == 1


def test_dataset_view_arrays_keeps_arrays_alive():
    x, y = batch(16, seed=2)
    expected = x[5].copy()
    ds = et.Dataset.view_arrays(x, y)
    del x, y  # the data set holds them
    import gc
    gc.collect()
    np.testing.assert_array_equal(ds.read(5), expected)
    with pytest.raises(et.ArrayError):
        et.Dataset.view_arrays(np.zeros((2, 1, 28, 28)), np.zeros(2, np.int32))  # float64: no conversion


def test_dataset_open_fashion_mnist():
    assert et.Dataset.has_test_split("fashion-mnist") and not et.Dataset.has_test_split("folder:/x")
    try:
        test = et.Dataset.open("fashion-mnist", test=True)
    except et.Error as e:
        pytest.skip(f"Fashion-MNIST not installed: {e}")
    assert len(test) == 10000 and test.sample_shape == [1, 28, 28] and len(test.class_names) == 10
    two = et.Dataset.open("fashion-mnist", et.DataOptions(classes=["0", "1"]), test=True)
    assert len(two) == 2000
    image = test.read(0)
    assert image.shape == (1, 28, 28) and 0 <= image.min() and image.max() <= 1


def test_model_evaluate_progress_and_callback_errors(model):
    data = et.Dataset.from_arrays(*batch(16, seed=13))
    calls = []
    ev = model.evaluate(data, et.EvalOptions(batch=4, on_progress=lambda done, total: calls.append(done)))
    assert ev.samples == 16 and calls == [1, 2, 3, 4]

    def boom(done, total):
        raise RuntimeError("progress failed")

    with pytest.raises(RuntimeError, match="progress failed"):
        model.evaluate(data, et.EvalOptions(batch=4, on_progress=boom))
    with pytest.raises(TypeError):
        et.EvalOptions(on_progress=3)


# ---- training -------------------------------------------------------------------------------------

def test_step_overfits_a_fixed_batch():
    model = et.Model.zoo("fmnist-cnn")  # learns a fixed random batch faster than lenet5
    x, y = batch(8, seed=3)
    session = et.TrainingSession(model, et.TrainingOptions(batch=8))
    losses = [session.step(x, y).loss for _ in range(20)]
    assert session.steps_done == 20
    assert losses[-1] < 0.6 * losses[0], losses
    r = session.step(x, y)
    assert isinstance(r, et.StepResult) and r.samples == 8 and 0 <= r.correct <= 8
    # The session trains the model in place: the Model and session.model see the same weights.
    name = model.parameters()[0].name
    np.testing.assert_array_equal(session.model.parameter(name), model.parameter(name))
    assert session.memory().total > 0 and session.plan().training
    assert et.TrainingSession.preview(model, et.TrainingOptions(batch=8)).batch == 8


def test_step_accepts_in_place_arrays(model):
    session = et.TrainingSession(model, et.TrainingOptions(batch=4))
    big, labels = batch(12, seed=4)
    view = big[4:8]  # a contiguous view into a larger array: used in place, no copy needed
    assert view.base is not None and view.flags.c_contiguous
    frozen = labels[4:8].copy()
    frozen.flags.writeable = False  # read-only arrays are fine: step only reads them
    before = view.copy()
    session.step(view, frozen)
    np.testing.assert_array_equal(view, before)  # inputs are not modified
    # The zero-copy path: write normalised images into the session's own input buffers.
    images, lab = session.input_images(), session.input_labels()
    assert images.shape == (4, 1, 28, 28) and lab.shape == (4,)
    images[:] = view
    lab[:] = frozen
    assert session.step().samples == 4


def test_step_rejects_bad_arrays(model):
    session = et.TrainingSession(model, et.TrainingOptions(batch=4))
    x, y = batch(4)
    with pytest.raises(et.ArrayError) as e:
        session.step(x.astype(np.float64), y)
    assert "float32" in str(e.value)
    assert isinstance(e.value, et.Error) and isinstance(e.value, ValueError)
    with pytest.raises(et.Error, match="int32"):
        session.step(x, y.astype(np.int64))
    with pytest.raises(et.Error):
        session.step(x[:3], y[:3])  # not the session's batch
    with pytest.raises(et.Error):
        session.step(x.reshape(4, 28, 28, 1), y)  # wrong layout
    wide = np.zeros((4, 1, 28, 56), np.float32)
    with pytest.raises(et.Error, match="contiguous"):
        session.step(wide[..., ::2], y)
    with pytest.raises(et.Error):
        session.step(x.tolist(), y)
    with pytest.raises(et.Error):
        session.step(x, np.array([0, 1, 2, 99], np.int32))  # label out of range
    assert session.steps_done == 0


def test_fit_stops_early_from_on_step(model):
    x, y = batch(64, seed=5)
    data = et.Dataset.from_arrays(x, y)
    session = et.TrainingSession(model, et.TrainingOptions(batch=8))
    seen = []

    def on_step(p):
        seen.append((p.epoch, p.step, p.steps))
        return p.step < 3

    r = session.fit(data, et.FitOptions(epochs=2, on_step=on_step))
    assert isinstance(r, et.FitResult) and r.stopped and r.epochs == []
    assert seen == [(1, 1, 8), (1, 2, 8), (1, 3, 8)]
    assert session.steps_done == 3 and session.epochs_done == 0


def test_fit_epochs_with_test_data_and_callbacks(model):
    x, y = batch(32, seed=6)
    train = et.Dataset.from_arrays(x, y)
    test = et.Dataset.view_arrays(*batch(16, seed=7))
    session = et.TrainingSession(model, et.TrainingOptions(batch=8))
    reports, progress = [], []
    r = session.fit(train, epochs=2, test=test, eval_batch=8, on_epoch=lambda e: reports.append(e),
                    on_eval_progress=lambda done, total: progress.append((done, total)))
    assert not r.stopped and [e.epoch for e in r.epochs] == [1, 2] and r.samples == 64
    assert [e.epoch for e in reports] == [1, 2]
    assert isinstance(reports[0].test, et.Evaluation) and reports[0].test.samples == 16
    assert progress and progress[-1] == (2, 2)
    assert session.epochs_done == 2
    ev = session.evaluate(test, batch=8)
    assert ev.samples == 16 and 0 <= ev.accuracy <= 1
    ev2 = session.model.evaluate(test, et.EvalOptions(batch=8))
    assert ev2.samples == 16


def test_muppet_schedule_reports_its_decisions_and_precision_switches(model):
    train = et.Dataset.from_arrays(*batch(32, seed=6))
    options = et.TrainingOptions(batch=8, engine=et.EngineOptions(precision=et.Precision.muppet),
                                 precision_schedule=et.PrecisionScheduleOptions(resolution=2))
    session = et.TrainingSession(model, options)
    assert session.precision == et.Precision.fx8
    r = session.fit(train, epochs=2)
    assert [e.precision for e in r.epochs] == [et.Precision.fx8, et.Precision.fx8]
    d = r.epochs[1].precision_decision
    assert d.estimated and d.diversity > 0 and d.trained_in == et.Precision.fx8
    assert len(session.precision_decisions) == 2 and r.epochs[0].precision_decision.estimated is False
    with pytest.raises(et.Error):
        session.set_precision(et.Precision.f32)  # the schedule decides
    plain = et.TrainingSession(model, et.TrainingOptions(batch=8))
    plain.set_precision(et.Precision.fx16)
    assert plain.precision == et.Precision.fx16 and plain.fit(train, epochs=1).epochs[0].precision == et.Precision.fx16


def test_fit_reraises_callback_errors_and_request_stop(model):
    data = et.Dataset.from_arrays(*batch(32, seed=8))
    session = et.TrainingSession(model, et.TrainingOptions(batch=8))

    def boom(p):
        raise KeyError("from the callback")

    with pytest.raises(KeyError, match="from the callback"):
        session.fit(data, epochs=1, on_step=boom)
    assert session.steps_done == 1

    def stop(p):
        session.request_stop()

    r = session.fit(data, epochs=1, on_step=stop)
    assert r.stopped and session.steps_done == 2


def test_learning_rate_and_checkpoint_resume(model, tmp_path):
    opts = et.TrainingOptions(batch=4, optimizer=et.OptimizerOptions(kind=et.Optimizer.sgd, lr=0.02))
    session = et.TrainingSession(model, opts)
    assert session.options.optimizer.lr == pytest.approx(0.02)
    assert session.learning_rate == pytest.approx(0.02)
    session.learning_rate = 0.01
    assert session.learning_rate == pytest.approx(0.01)
    session.clear_learning_rate()
    x, y = batch(4)
    session.step(x, y)
    path = str(tmp_path / "run.ckpt")
    session.save_checkpoint(path, {"note": "hello"})
    resumed = et.TrainingSession.resume(path)
    assert resumed.steps_done == 1 and resumed.metadata == {"note": "hello"}
    assert resumed.options.batch == 4
    with pytest.raises(et.Error):
        et.TrainingSession.resume(str(tmp_path / "missing.ckpt"))


# ---- inference ------------------------------------------------------------------------------------

def test_inference_outputs(model):
    x, _ = batch(5, seed=9)
    s = et.InferenceSession(model, et.InferenceOptions(batch=8))
    assert s.max_batch == 8 and s.num_classes == 10 and s.input_chw == [1, 28, 28]
    logits = s.run(x)
    assert logits.shape == (5, 10) and logits.dtype == np.float32
    np.testing.assert_array_equal(s.logits(x), logits)
    p = s.probabilities(x)
    assert p.shape == (5, 10)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-5)
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    np.testing.assert_allclose(p, e / e.sum(axis=1, keepdims=True), rtol=1e-4, atol=1e-6)
    top = s.top_k(x, 3)
    assert len(top) == 5 and all(len(t) == 3 for t in top)
    for i, t in enumerate(top):
        probs = [pred.probability for pred in t]
        assert probs == sorted(probs, reverse=True)
        assert t[0].label == int(np.argmax(logits[i]))
    with pytest.raises(et.Error):
        s.run(batch(9)[0])  # more than max_batch
    s.reserve(16)
    assert s.max_batch == 16 and s.run(batch(9)[0]).shape == (9, 10)
    with pytest.raises(et.Error):
        s.top_k(x, 11)
    with pytest.raises(et.ArrayError):
        s.run(x.astype(np.float64))
    assert s.memory().total > 0 and not s.plan().training


def test_inference_serves_latest_weights(model):
    x, y = batch(8, seed=10)
    inference = et.InferenceSession(model, et.InferenceOptions(batch=8))
    before = inference.run(x)
    training = et.TrainingSession(model, et.TrainingOptions(batch=8))
    for _ in range(3):
        training.step(x, y)
    assert not np.array_equal(inference.run(x), before)


def test_save_load_round_trip(model, tmp_path):
    x, y = batch(8, seed=11)
    session = et.TrainingSession(model, et.TrainingOptions(batch=8))
    for _ in range(3):
        session.step(x, y)
    path = str(tmp_path / "model.ckpt")
    model.save(path)
    loaded = et.Model.load(path)
    assert loaded.arch == model.arch and loaded.num_classes == model.num_classes
    a = et.InferenceSession(model, et.InferenceOptions(batch=8)).run(x)
    b = et.InferenceSession(loaded, et.InferenceOptions(batch=8)).run(x)
    np.testing.assert_array_equal(a, b)
    assert et.Model.open(path).num_classes == 10


def test_export_onnx(model, tmp_path):
    path = tmp_path / "model.onnx"
    model.export_onnx(str(path), et.ExportOptions(opset=13))
    assert path.exists() and path.stat().st_size > 1000
    imported = et.Model.import_onnx(str(path))
    x, _ = batch(4, seed=12)
    a = et.InferenceSession(model, et.InferenceOptions(batch=4)).run(x)
    b = et.InferenceSession(imported, et.InferenceOptions(batch=4)).run(x)
    np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-4)


def test_errors_on_bad_input(tmp_path):
    with pytest.raises(et.Error):
        et.Model.load(str(tmp_path / "missing.ckpt"))
    with pytest.raises(et.Error):
        et.Model.zoo("no-such-arch")
    with pytest.raises(et.Error):
        et.Dataset.open("idx:%s,%s" % (tmp_path / "a", tmp_path / "b"))
    with pytest.raises(et.Error):
        et.Predictor.load(str(tmp_path / "missing-profile.json"))
    with pytest.raises(et.Error):
        et.TrainingSession(et.Model.zoo(ARCH), et.TrainingOptions(batch=0))


@pytest.fixture
def predictor():
    """A short calibration of this machine (ctest's device_profile fixture); skipped when run alone."""
    path = os.environ.get("EDGETRAIN_DEVICE_PROFILE")
    if not path:
        pytest.skip("run through ctest (its device_profile fixture calibrates this machine)")
    return et.Predictor.load(path)


def test_predictor(model, predictor):
    assert predictor.device and predictor.threads > 0
    opts = et.TrainingOptions(batch=8)
    cost = predictor.estimate(model, opts, 1000)
    assert cost.total_bytes == cost.plan.total + cost.process_bytes + cost.input_bytes
    assert cost.step_ms == pytest.approx(cost.kernel_ms + cost.overhead_ms) and cost.epoch_seconds > 0
    assert 1 <= predictor.largest_batch(model, opts, et.parse_bytes("256M"), max_batch=64) <= 64
    images, labels = batch(40, seed=4)
    train, test = et.Dataset.from_arrays(images, labels), et.Dataset.from_arrays(images[:10], labels[:10])
    fit = predictor.estimate_fit(model, opts, train, et.FitOptions(test=test))
    assert fit.epoch_samples == 40 and fit.evaluation_bytes > 0
    assert fit.data_bytes == train.resident_bytes() + test.resident_bytes()
    assert fit.total_bytes > fit.step.total_bytes - fit.step.input_bytes


# ---- threads --------------------------------------------------------------------------------------

def test_sessions_run_in_parallel_threads(model):
    """run() releases the GIL: two threads on two sessions of one model neither deadlock nor differ."""
    inputs = [batch(8, seed=20 + i)[0] for i in range(2)]
    sessions = [et.InferenceSession(model, et.InferenceOptions(batch=8)) for _ in range(2)]
    expected = [sessions[i].run(inputs[i]) for i in range(2)]
    results, errors = [[], []], []

    def work(i):
        try:
            for _ in range(30):
                results[i].append(sessions[i].run(inputs[i]))
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "deadlock"
    assert not errors
    for i in range(2):
        assert len(results[i]) == 30
        for r in results[i]:
            np.testing.assert_array_equal(r, expected[i])


# ---- adapter ------------------------------------------------------------------------------------

def test_adapter_serves_adapts_and_reports():
    # A model trained on bands at 4 rows (classes 0..3), then a stream of classes 1 and 2 only.
    rng = np.random.default_rng(3)

    def frames(classes, n):
        labels = np.array([classes[k % len(classes)] for k in range(n)], dtype=np.int32)
        images = rng.random((n, 1, 28, 28), dtype=np.float32) * 0.35
        for k, c in enumerate(labels):
            images[k, 0, 4 * c + 2:4 * c + 6, :] += 0.6
        return images, labels

    model = et.Model.zoo("fmnist-cnn", et.ModelOptions(num_classes=4))
    session = et.TrainingSession(model, et.TrainingOptions(batch=32))
    images, labels = frames([0, 1, 2, 3], 640)
    session.fit(et.Dataset.from_arrays(images, labels), epochs=2)
    adapter = et.Adapter(model, et.AdapterOptions(window=100, stable_frames=60, min_frames_per_class=15,
                                                   buffer_capacity=200, epochs=2, prune_levels=[0.5],
                                                   background=False))
    stream, truth = frames([1, 2], 250)
    answers = [adapter.observe(stream[k], int(truth[k])) for k in range(len(truth))]
    assert isinstance(answers[0], et.AdapterPrediction)
    assert adapter.adapted_subset == [1, 2], adapter.status
    report = adapter.reports()[-1]
    assert report.accepted and report.params_after < report.params_before
    assert sum(a.label == t for a, t in zip(answers[-50:], truth[-50:])) >= 45
    assert len(adapter.label_prior) == 4
    with pytest.raises(et.ArrayError):
        adapter.observe(np.zeros((1, 28, 27), dtype=np.float32))
    with pytest.raises(et.Error):
        adapter.observe(stream[0], 7)
