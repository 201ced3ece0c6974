"""Which image files ``--images`` names, and their labels, found in pure Python (a folder
with no images is refused before torch loads).

One folder whose subfolders hold images is read as torchvision's ``ImageFolder`` reads it:
the subfolders, sorted, are the classes 0, 1, …; each class's files are walked in sorted
order, and only names ending in one of torchvision's image suffixes count. So a plain script
with ``torchvision.datasets.ImageFolder(root)`` sees the same files, in the same order, with
the same labels. Anything else (files, a flat folder, several paths) gives images without
labels.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass

from resnet_inspect.errors import OptionError

# torchvision.datasets.folder.IMG_EXTENSIONS
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp")


@dataclass(frozen=True)
class ImageSet:
    """The images, in the order the steps take them, and the ImageFolder's labels."""

    files: tuple[str, ...]
    labels: tuple[int, ...] | None = None  # ImageFolder's class indices, one per file
    classes: tuple[str, ...] = ()  # ImageFolder's class names, index order
    ignored: int = 0  # image files at an ImageFolder's top, which ImageFolder ignores too

    @property
    def labelled(self) -> bool:
        return self.labels is not None


def is_image_name(name: str) -> bool:
    return name.lower().endswith(IMAGE_SUFFIXES)


def find_images(paths: Sequence[str], option: str = "--images") -> ImageSet:
    """The files the paths name: a file as given, a folder's image files (or, for one folder
    in ImageFolder layout, its classes' files and labels)."""
    if not paths:
        raise OptionError(f"{option}: give an image file or a folder of images")
    for path in paths:
        if not os.path.exists(path):
            raise OptionError(f"{option} {path}: no such file or folder")
    if len(paths) == 1 and os.path.isdir(paths[0]):
        classes = _class_folders(paths[0])
        if classes:
            return _image_folder(paths[0], classes, option)
    files: list[str] = []
    for path in paths:
        if os.path.isdir(path):
            found = _top_images(path)
            if not found:
                raise OptionError(f"{option} {path}: no image files ({_suffixes()})")
            files += found
        else:
            files.append(path)
    return ImageSet(files=tuple(files))


def _suffixes() -> str:
    return ", ".join(IMAGE_SUFFIXES[:4]) + ", …"


def _top_images(folder: str) -> list[str]:
    with os.scandir(folder) as entries:
        names = sorted(e.name for e in entries if e.is_file() and is_image_name(e.name))
    return [os.path.join(folder, name) for name in names]


def _walked_images(folder: str) -> list[str]:
    """A class folder's image files as ImageFolder lists them: os.walk sorted, links followed."""
    found = []
    for root, _, names in sorted(os.walk(folder, followlinks=True)):
        found += [os.path.join(root, name) for name in sorted(names) if is_image_name(name)]
    return found


def _class_folders(folder: str) -> list[str]:
    """The subfolders, sorted, when any of them holds an image (ImageFolder layout)."""
    with os.scandir(folder) as entries:
        subfolders = sorted(e.name for e in entries if e.is_dir())
    holding = [name for name in subfolders if _walked_images(os.path.join(folder, name))]
    return subfolders if holding else []


def _image_folder(root: str, classes: list[str], option: str) -> ImageSet:
    if len(classes) == 1:
        raise OptionError(
            f"{option} {root}: an ImageFolder needs 2 classes or more and this one has one "
            f"({classes[0]!r}); give {os.path.join(root, classes[0])} for images without labels"
        )
    files: list[str] = []
    labels: list[int] = []
    for index, name in enumerate(classes):
        found = _walked_images(os.path.join(root, name))
        if not found:  # ImageFolder refuses an empty class too: its index would name nothing
            raise OptionError(f"{option} {root}: the class folder {name!r} holds no images")
        files += found
        labels += [index] * len(found)
    return ImageSet(
        files=tuple(files),
        labels=tuple(labels),
        classes=tuple(classes),
        ignored=len(_top_images(root)),
    )


def image_files(path: str, option: str = "--images") -> tuple[str, ...]:
    """A file as it is; a folder's image files (its classes' files, in ImageFolder layout)."""
    if os.path.isdir(path):
        return find_images([path], option).files
    return (path,)
