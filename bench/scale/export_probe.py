"""One export in a process of its own, so its peak memory is the export's (plus Django's).

``python -m bench.scale.export_probe csv|xlsx`` prints JSON: the process's
resident memory before and at its peak (ru_maxrss), the time to the CSV's
first byte, the total time and the rows written. Run by ``python -m bench
scale`` with the bench's environment.
"""

from __future__ import annotations

import json
import resource
import sys
import time

import django


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes


def main(kind: str) -> dict[str, float]:
    django.setup()
    from bench.scale.measure import staff_client
    from store import exports
    from store.models import OrderExport

    client = staff_client()
    # Warm up (imports, templates, the first query) on an export that finds nothing.
    b"".join(client.get("/admin/orders/", {"export": "csv", "q": "zzzzqq"}).streaming_content)
    baseline = _peak_mb()
    started = time.perf_counter()
    if kind == "csv":
        response = client.get("/admin/orders/", {"export": "csv"})
        stream = iter(response.streaming_content)
        next(stream)  # the headings
        rows = 0
        first_row = None
        for _ in stream:
            if first_row is None:
                first_row = time.perf_counter() - started
            rows += 1
    else:
        user = client.session.get("_auth_user_id")
        export = OrderExport.objects.create(
            requested_by_id=user, format=kind, description="All orders (scale bench)"
        )
        exports.build.call(export.pk)
        export.refresh_from_db()
        first_row, rows = None, export.rows_written
        exports.storage().delete(export.file)
    return {
        "baseline_mb": baseline,
        "peak_mb": _peak_mb(),
        "first_row_s": first_row,
        "total_s": time.perf_counter() - started,
        "rows": rows,
    }


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1])))
