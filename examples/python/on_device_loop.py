#!/usr/bin/env python3
"""The on-device loop (Python version of examples/on_device_loop.cpp).

A deployed model classifies camera frames one by one, and between frames it learns from the labelled
ones. Frames are numpy arrays the application owns: a ring buffer of them feeds TrainingSession.step
(read in place, no copy), and an InferenceSession over the same Model serves with the latest weights.
The stand-in camera is Fashion-MNIST's test split seen through a different sensor (inverted
contrast); without the data set, synthetic frames stand in for it.

    PYTHONPATH=<build>/python python3 on_device_loop.py [CHECKPOINT]
"""
import sys

import numpy as np

import edgetrain as et

FRAMES, WINDOW, BATCH = 3000, 500, 16  # frames served; accuracy window; training step size


def open_data():
    """(train, camera) data sets: Fashion-MNIST, or synthetic frames (a bright band marks the class)."""
    try:
        return et.Dataset.open("fashion-mnist"), et.Dataset.open("fashion-mnist", test=True)
    except et.Error as e:
        print(f"no Fashion-MNIST ({e}); using synthetic frames")
        rng = np.random.default_rng(0)
        labels = rng.integers(0, 10, 6000).astype(np.int32)
        images = rng.random((6000, 1, 28, 28), dtype=np.float32) * 0.5
        for i, label in enumerate(labels):
            images[i, 0, 2 * label + 4:2 * label + 7] = 1.0
        return et.Dataset.from_arrays(images[:3000], labels[:3000]), et.Dataset.from_arrays(images[3000:], labels[3000:])


train, camera = open_data()
model = et.Model.load(sys.argv[1]) if len(sys.argv) > 1 else et.Model.zoo("fmnist-cnn")
if len(sys.argv) <= 1:  # a stand-in for the factory model: 150 steps on the training data
    model.set_normalization(*train.statistics())
    et.TrainingSession(model, et.TrainingOptions(batch=64)).fit(train, on_step=lambda p: p.step < 150)

# Serving: one frame at a time. Training: a step whenever BATCH new labelled frames are in the ring.
server = et.InferenceSession(model)
trainer = et.TrainingSession(model, et.TrainingOptions(batch=BATCH, optimizer=et.OptimizerOptions(lr=5e-4)))
print(f"serving {model.arch}: inference {et.format_bytes(server.memory().total)}, "
      f"training step {et.format_bytes(trainer.memory().total)} planned")

ring = np.zeros([BATCH] + model.input_chw, np.float32)  # the application's ring buffer of frames
ring_labels = np.zeros(BATCH, np.int32)
filled = steps = correct_first = correct_last = 0
for i in range(min(FRAMES, len(camera))):
    frame = 1.0 - camera.read(i)  # "capture" a frame through the new sensor
    predicted = server.top_k(frame[None], 1)[0][0].label  # serve it with the weights as they are now
    label = camera.label(i)  # the ground truth arrives later (feedback)
    correct_first += i < WINDOW and predicted == label
    correct_last += i >= FRAMES - WINDOW and predicted == label

    ring[filled % BATCH], ring_labels[filled % BATCH] = frame, label  # keep it for training
    filled += 1
    if filled % BATCH == 0:  # a full ring: one step on it, in place
        result = trainer.step(ring, ring_labels)
        steps += 1
        if steps % 50 == 0:
            print(f"frame {i + 1:5d}: step {steps}, batch loss {result.loss:.3f}")

print(f"served accuracy: first {WINDOW} frames {100 * correct_first / WINDOW:.1f}%, "
      f"last {WINDOW} frames {100 * correct_last / WINDOW:.1f}% ({steps} training steps)")
