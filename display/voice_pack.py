"""Build the default Vietnamese voice pack: short clips the lobby display joins in order.

Run once by a maintainer (``python -m display.voice_pack``); the clips are committed, so
halls need neither espeak-ng nor the internet. Needs espeak-ng and sox. A site replaces
any clip with its own recording by putting a file of the same name in
``server.voice_dir/vi/`` (data/voice/vi by default); ``python -m display.voice_pack
--script`` prints what to record, file by file.
"""
from __future__ import annotations

import json
import logging
import math
import shutil
import struct
import subprocess
import sys
import tempfile
import wave
from pathlib import Path

logger = logging.getLogger(__name__)

PACK = Path(__file__).parent / "static" / "voice" / "vi"
RATE = 22050

# token -> (text spoken, clip file)
WORDS: dict[str, tuple[str, str]] = {
    "0": ("không", "khong"), "1": ("một", "mot"), "1b": ("mốt", "mot-sac"), "2": ("hai", "hai"),
    "3": ("ba", "ba"), "4": ("bốn", "bon"), "4b": ("tư", "tu"), "5": ("năm", "nam"), "5b": ("lăm", "lam"),
    "6": ("sáu", "sau"), "7": ("bảy", "bay"), "8": ("tám", "tam"), "9": ("chín", "chin"),
    "10": ("mười", "muoi-huyen"), "tens": ("mươi", "muoi"), "hundred": ("trăm", "tram"),
    "thousand": ("nghìn", "nghin"), "zero_tens": ("linh", "linh"),
    "intro": ("Xin mời công dân có số thứ tự", "xin-moi"), "to_counter": ("đến quầy số", "den-quay"),
    # the calls after the first of a group said under one chime: "… số 1024 đến quầy số 7"
    "next_number": ("số", "so"),
}
LETTERS = {"a": "a", "b": "bê", "c": "xê", "d": "dê", "e": "e", "f": "ép", "g": "giê", "h": "hát", "i": "i",
           "j": "gi", "k": "ca", "l": "e lờ", "m": "em mờ", "n": "en nờ", "o": "o", "p": "pê", "q": "quy",
           "r": "e rờ", "s": "ét xì", "t": "tê", "u": "u", "v": "vê", "w": "vê kép", "x": "ích xì",
           "y": "i dài", "z": "dét"}


def chime(path: Path) -> None:
    """A two-note chime (E6 then C6) with a soft decay, synthesised here."""
    frames = bytearray()
    for freq, seconds in ((1318.5, 0.45), (1046.5, 0.9)):
        n = int(RATE * seconds)
        for i in range(n):
            t = i / RATE
            envelope = math.exp(-3.2 * t) * min(1.0, i / 200)
            sample = envelope * (0.6 * math.sin(2 * math.pi * freq * t) + 0.25 * math.sin(4 * math.pi * freq * t))
            frames += struct.pack("<h", int(sample * 0.7 * 32767))
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(bytes(frames))


def speak(text: str, path: Path, workdir: Path) -> None:
    """espeak-ng's Northern Vietnamese voice, silence trimmed and loudness evened out by sox."""
    raw = workdir / "raw.wav"
    subprocess.run(["espeak-ng", "-v", "vi", "-s", "145", "-w", str(raw), text], check=True)
    subprocess.run(["sox", str(raw), "-r", str(RATE), "-c", "1", "-b", "16", str(path),
                    "silence", "1", "0.02", "0.5%", "reverse", "silence", "1", "0.02", "0.5%", "reverse",
                    "norm", "-2"], check=True)


def build(pack: Path = PACK) -> dict:
    for tool in ("espeak-ng", "sox"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is needed to build the voice pack (apt-get install espeak-ng sox)")
    pack.mkdir(parents=True, exist_ok=True)
    words: dict[str, str] = {}
    clips: dict[str, str] = {}
    manifest = {"language": "vi", "source": "espeak-ng (vi) via display/voice_pack.py", "words": words,
                "clips": clips, "chime": "chime.wav"}
    chime(pack / "chime.wav")
    entries = dict(WORDS)
    entries.update({f"letter_{k}": (v, f"chu-{k}") for k, v in LETTERS.items()})
    with tempfile.TemporaryDirectory() as tmp:
        for token, (text, name) in entries.items():
            speak(text, pack / f"{name}.wav", Path(tmp))
            words[token] = text
            clips[token] = f"{name}.wav"
    (pack / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return manifest


def recording_script() -> str:
    """What a centre's speaker reads, clip by clip, to replace the synthetic voice with a human
    one: the file name to save each take under, and the words to say."""
    entries = dict(WORDS)
    entries.update({f"letter_{k}": (v, f"chu-{k}") for k, v in LETTERS.items()})
    lines = ["# Thu âm giọng đọc của trung tâm / Recording the centre's own voice", "",
             "Mỗi dòng là một tệp: đọc rõ, đều giọng, không ngắt quãng, để khoảng lặng ngắn ở đầu và cuối.",
             "Lưu WAV mono (22 050 Hz hoặc 44 100 Hz, 16 bit) trong server.voice_dir/vi/ (mặc định data/voice/vi/)",
             "với đúng tên tệp; tệp nào chưa thu thì hệ thống dùng tệp có sẵn.",
             "Each line is one file: say it clearly and evenly; save it as mono 16-bit WAV under that name in",
             "server.voice_dir/vi/; any clip not recorded keeps the built-in one.", "",
             "| tệp / file | đọc / say |", "|---|---|"]
    lines += [f"| {name}.wav | {text} |" for _token, (text, name) in entries.items()]
    lines += ["", "Chuông (chime.wav) có thể thay bằng tiếng chuông của trung tâm. / chime.wav may be replaced too.",
              "Thử: mở màn hình sảnh, gọi một số và nghe câu ghép lại. / Try it: call a number and listen.", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    if "--script" in sys.argv:
        sys.stdout.write(recording_script())
        sys.exit(0)
    logging.basicConfig(level=logging.INFO)
    made = build()
    logger.info("voice pack: %d clips in %s", len(made["clips"]) + 1, PACK)
    sys.exit(0)
