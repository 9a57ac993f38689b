"""rungrpc settles its garbage collector once it serves: startup objects frozen, young collections less often."""

import gc

from grpc_bridge.server import YOUNG_GC_THRESHOLD, settle_gc


def test_settle_gc_freezes_what_exists_and_collects_young_objects_less_often():
    threshold = gc.get_threshold()
    try:
        settle_gc()
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold() == (YOUNG_GC_THRESHOLD, *threshold[1:])
        # Objects made afterwards are still collected.
        cycle = []
        cycle.append(cycle)
        del cycle
        assert gc.collect() >= 1
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)
