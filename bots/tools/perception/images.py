"""Turning what a caller sends (encoded bytes, base64, an array) into a bounded BGR image.

Sizes are checked before decoding where the header tells them (PNG, JPEG), so a small file
that declares a gigapixel image is refused without allocating it.
"""

from __future__ import annotations

import base64
import binascii
import struct

import cv2
import numpy as np

from kg.errors import CityAgentError

MAX_BYTES = 20 * 1024 * 1024
MAX_SIDE = 4096
MIN_SIDE = 16
MAX_BASE64_CHARS = (MAX_BYTES * 4) // 3 + 4
ImageLike = bytes | bytearray | memoryview | np.ndarray
_JPEG_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


class ImageError(CityAgentError, ValueError):
    """The input is not a usable image: empty, corrupt, too large, or of the wrong type."""

    code = "E080"
    http_status = 400


def _declared_size(data: bytes) -> tuple[int, int] | None:
    """Width and height a PNG or JPEG header declares; None for other formats."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    if data[:2] == b"\xff\xd8":
        at = 2
        while at + 9 < len(data):
            if data[at] != 0xFF:
                return None
            marker, length = data[at + 1], int.from_bytes(data[at + 2:at + 4], "big")
            if marker in _JPEG_SOF:
                height, width = struct.unpack(">HH", data[at + 5:at + 9])
                return int(width), int(height)
            at += 2 + length
    return None


def _check_shape(height: int, width: int) -> None:
    if max(height, width) > MAX_SIDE:
        raise ImageError(f"图像过大：{width}×{height} 像素，边长上限 {MAX_SIDE}")
    if min(height, width) < MIN_SIDE:
        raise ImageError(f"图像过小：{width}×{height} 像素，边长至少 {MIN_SIDE}")


def _from_array(array: np.ndarray) -> np.ndarray:
    if array.dtype != np.uint8:
        raise ImageError(f"图像数组应为 uint8，实际为 {array.dtype}")
    if array.ndim == 2:
        _check_shape(*array.shape)
        return np.ascontiguousarray(cv2.cvtColor(array, cv2.COLOR_GRAY2BGR))
    if array.ndim != 3 or array.shape[2] not in (1, 3, 4):
        raise ImageError(f"图像数组形状应为 高×宽 或 高×宽×通道，实际为 {array.shape}")
    _check_shape(array.shape[0], array.shape[1])
    if array.shape[2] == 1:
        return np.ascontiguousarray(cv2.cvtColor(array, cv2.COLOR_GRAY2BGR))
    if array.shape[2] == 4:
        return np.ascontiguousarray(cv2.cvtColor(array, cv2.COLOR_BGRA2BGR))
    return np.ascontiguousarray(array)


def load_image(image: object) -> np.ndarray:
    """A BGR uint8 image from encoded bytes (PNG, JPEG, BMP, WebP ...) or an array (grey,
    BGR or BGRA); ImageError for anything empty, corrupt, over 20 MB or 4096 px, or not an
    image, so that every engine starts from the same well-formed input."""
    if isinstance(image, np.ndarray):
        return _from_array(image)
    if not isinstance(image, bytes | bytearray | memoryview):
        raise ImageError(f"不支持的图像类型：{type(image).__name__}，应为图像字节或数组")
    data = bytes(image)
    if not data:
        raise ImageError("图像为空")
    if len(data) > MAX_BYTES:
        raise ImageError(f"图像文件过大：{len(data) / 1048576:.1f} MB，上限 20 MB")
    declared = _declared_size(data)
    if declared is not None:
        _check_shape(declared[1], declared[0])
    decoded = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_COLOR)
    if decoded is None:
        raise ImageError("无法解码图像：文件损坏或不是图像")
    return _from_array(np.asarray(decoded))


def load_frames(frames: object, max_frames: int) -> list[np.ndarray]:
    """A sequence of 1..``max_frames`` images of one size, each as :func:`load_image` reads
    it; ImageError when the sequence is empty, too long or mixes sizes."""
    if isinstance(frames, np.ndarray | bytes | bytearray | memoryview) or not isinstance(
            frames, list | tuple):
        frames = [frames]
    if not frames:
        raise ImageError("没有图像帧")
    if len(frames) > max_frames:
        raise ImageError(f"帧数过多：{len(frames)}，上限 {max_frames}")
    images = [load_image(frame) for frame in frames]
    if any(img.shape != images[0].shape for img in images):
        raise ImageError("各帧尺寸不一致")
    return images


def decode_base64(text: str) -> bytes:
    """The bytes of a base64 image (a ``data:image/...;base64,`` prefix allowed); ImageError
    when it is not base64 or is too long."""
    if len(text) > MAX_BASE64_CHARS:
        raise ImageError("图像数据过大，上限 20 MB")
    payload = text.split(",", 1)[1] if text.startswith("data:") else text
    try:
        return base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ImageError("图像不是有效的 base64 编码") from exc
