"""The perception engines as LangChain tools for the emergency duty officers.

Images arrive as base64 (a ``data:image/...;base64,`` prefix allowed), each at most 20 MB;
URLs are not fetched (a tool must not reach arbitrary hosts). Zones are polygons in
normalised image coordinates, as the cameras' registry stores them.
"""

from __future__ import annotations

from typing import Annotated, Any

from langchain_core.tools import tool
from pydantic import Field

from bots.tools.perception import intrusion, smoke_fire, water_gauge
from bots.tools.perception.common import PerceptionModel
from bots.tools.perception.images import MAX_BASE64_CHARS, decode_base64
from bots.tools.spec import ToolSpec

Base64Image = Annotated[str, Field(min_length=1, max_length=MAX_BASE64_CHARS,
                                   description="图像的 base64 编码（可带 data:image 前缀）")]
CameraId = Annotated[str, Field(min_length=1, max_length=64, description="摄像头编号")]


class GaugeArgs(PerceptionModel):
    """Arguments of ``read_water_gauge``."""

    camera_id: CameraId
    image: Base64Image
    gauge_id: str | None = Field(default=None, max_length=64, description="水尺编号")
    gauge: water_gauge.GaugeSpec = Field(default_factory=water_gauge.GaugeSpec)


class SmokeFireArgs(PerceptionModel):
    """Arguments of ``detect_smoke_fire``."""

    camera_id: CameraId
    images: list[Base64Image] = Field(min_length=1, max_length=smoke_fire.MAX_FRAMES,
                                      description="一帧或连续数帧（烟雾需 3 帧以上）")
    threshold: float = Field(default=0.5, ge=0.0, le=1.0)


class IntrusionArgs(PerceptionModel):
    """Arguments of ``detect_intrusion``."""

    camera_id: CameraId
    images: list[Base64Image] = Field(min_length=2, max_length=60, description="连续帧")
    zones: list[intrusion.Zone] = Field(min_length=1, max_length=16)
    min_frames: int = Field(default=3, ge=1, le=60)
    fps: float = Field(default=5.0, gt=0.0, le=120.0)


@tool("read_water_gauge", args_schema=GaugeArgs, description=(
    "水尺读数识别：从摄像头画面中定位水尺（E 字刻度），读出水面处的刻度（厘米）和置信度；"
    "画面中没有水尺或看不到水面交界时回答无法读数。"))
def read_water_gauge(**kwargs: Any) -> water_gauge.GaugeReading:
    """The water level on the gauge a camera sees."""
    args = GaugeArgs.model_validate(kwargs)
    return water_gauge.read_water_gauge(decode_base64(args.image), args.gauge)


@tool("detect_smoke_fire", args_schema=SmokeFireArgs, description=(
    "烟火识别：在一帧或连续数帧画面中检测明火和烟雾，返回目标框、类别（fire/smoke/none）、"
    "置信度和是否告警。"))
def detect_smoke_fire(**kwargs: Any) -> smoke_fire.SmokeFireResult:
    """Flame and smoke in a camera's frames."""
    args = SmokeFireArgs.model_validate(kwargs)
    return smoke_fire.detect_smoke_fire([decode_base64(i) for i in args.images], args.threshold)


@tool("detect_intrusion", args_schema=IntrusionArgs, description=(
    "区域入侵检测：在连续帧中跟踪运动目标（人员、船只），目标在警戒区内停留达到指定帧数即告警；"
    "返回轨迹、进入事件（帧号、时间、目标编号、区域）和置信度。"))
def detect_intrusion(**kwargs: Any) -> intrusion.IntrusionResult:
    """People or boats entering the zones in a camera's frames."""
    args = IntrusionArgs.model_validate(kwargs)
    config = intrusion.IntrusionConfig(zones=args.zones, min_frames=args.min_frames,
                                       fps=args.fps)
    return intrusion.detect_intrusion([decode_base64(i) for i in args.images], config)


PERCEPTION_TOOLS: tuple[ToolSpec, ...] = (
    ToolSpec(read_water_gauge, frozenset({"emergency"}), ("Camera", "WaterGauge"),
             "T-PERC-WATER-GAUGE"),
    ToolSpec(detect_smoke_fire, frozenset({"emergency"}), ("Camera",), "T-PERC-SMOKE-FIRE"),
    ToolSpec(detect_intrusion, frozenset({"emergency"}), ("Camera",), "T-PERC-INTRUSION"),
)
"""The perception tools with the personas allowed to call each."""
