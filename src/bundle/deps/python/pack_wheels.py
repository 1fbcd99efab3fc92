# Unpacks wheels into one zip (see deps/wheels.ts packDepsZip): sorted entries, fixed times and modes,
# so the same wheels give the same bytes, and so the same content hash.
# Usage: python pack_wheels.py OUT.zip WHEEL...   (run with `python -c`; a later wheel's file wins)
import sys
import zipfile

out, wheels = sys.argv[1], sys.argv[2:]
entries = {}
for w in wheels:
    with zipfile.ZipFile(w) as z:
        for info in z.infolist():
            if not info.is_dir():
                entries[info.filename] = z.read(info.filename)
with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
    for name in sorted(entries):
        info = zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0))
        info.external_attr = 0o644 << 16
        info.compress_type = zipfile.ZIP_DEFLATED
        z.writestr(info, entries[name])
