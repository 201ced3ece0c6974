"""The batches real steps take from ``--images``: the images walked in order (or in an
order drawn from the seed), ``batch`` at a time, wrapping around past the last one.

An image is read and prepared the first time a step takes it, and kept: the steps never
read more images than they take, and never one twice. The order is a stream of passes
over the images (when shuffled, each pass is what ``DataLoader(images, shuffle=True,
generator=torch.Generator().manual_seed(seed))`` draws in one epoch, the epochs in turn),
cut into batches of ``batch``; a batch may span the end of one pass and the start of the
next, so that every step has the same shape.
"""

from __future__ import annotations

from collections import Counter

import torch

from resnet_inspect.capture.images.preprocessing import Preprocessing, prepared
from resnet_inspect.capture.images.reading import open_image
from resnet_inspect.imagesets import ImageSet
from resnet_inspect.records import ImagesSummary, counted_notes


class ImageBatches:
    def __init__(
        self,
        images: ImageSet,
        preprocessing: Preprocessing,
        *,
        paths: tuple[str, ...],
        batch: int,
        steps: int,
        channels: int,
        shuffle: bool,
        seed: int,
    ) -> None:
        self.images = images
        self.preprocessing = preprocessing
        self.paths = paths
        self.batch = batch
        self.channels = channels
        self.shuffle = shuffle
        self.order = _stream(len(images.files), batch * steps, shuffle, seed)
        self.loaded: dict[int, torch.Tensor] = {}
        self.conversions: Counter[str] = Counter()

    @property
    def labelled(self) -> bool:
        return self.images.labelled

    def indices(self, step: int) -> list[int]:
        return self.order[step * self.batch : (step + 1) * self.batch]

    def inputs(self, step: int) -> torch.Tensor:
        """Step ``step``'s images as one float32 batch."""
        return torch.stack([self._prepared(index) for index in self.indices(step)])

    def labels(self, step: int) -> torch.Tensor:
        """Step ``step``'s ImageFolder labels (class indices, int64)."""
        assert self.images.labels is not None
        return torch.tensor([self.images.labels[index] for index in self.indices(step)])

    def _prepared(self, index: int) -> torch.Tensor:
        if index not in self.loaded:
            path = self.images.files[index]
            image, notes = open_image(path, self.channels, "--images")
            self.conversions.update(notes)
            self.loaded[index] = prepared(self.preprocessing, image, f"--images {path}")
        return self.loaded[index]

    def summary(self) -> ImagesSummary:
        return ImagesSummary(
            paths=self.paths,
            found=len(self.images.files),
            classes=self.images.classes,
            ignored=self.images.ignored,
            batch=self.batch,
            shuffled=self.shuffle,
            used=len(self.loaded),
            taken=len(self.order),
            preprocessing=self.preprocessing.described,
            conversions=counted_notes(self.conversions),
        )


def _stream(count: int, taken: int, shuffle: bool, seed: int) -> list[int]:
    """The first ``taken`` indices of passes over ``count`` images."""
    generator = torch.Generator().manual_seed(seed) if shuffle else None
    order: list[int] = []
    while len(order) < taken:
        if generator is not None:
            # A DataLoader's epoch: its iterator first draws a base seed from the generator,
            # then its RandomSampler a permutation, and one more for the remainder (empty
            # here); all three are drawn so that the order is the DataLoader's.
            torch.empty((), dtype=torch.int64).random_(generator=generator)
            order += torch.randperm(count, generator=generator).tolist()
            torch.randperm(count, generator=generator)
        else:
            order += range(count)
    return order[:taken]
