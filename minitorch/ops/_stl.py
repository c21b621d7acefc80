"""torch's cpu topk, element for element: which of several equal elements it picks, and in what order.

torch's cpu kernel fills a queue of (value, index) pairs per slice and runs the C++ standard library on
it (libstdc++, which torch's Linux wheels are built with): `std::partial_sort` when k * 64 <= n, else
`std::nth_element` followed by `std::sort` of the first k - 1 pairs when a sorted result is asked for.
None of these algorithms is stable, so among equal values the result depends on their exact steps; this
module replays them. Values are first mapped to int64 keys whose plain `<` is torch's comparison (nan
the largest, -0.0 equal to 0.0; reversed for largest=True).

A partition step (`_partition_pivots`) is replayed with whole-array NumPy operations: the scan from the
left stops at the elements not less than the pivot, the scan from the right at those not greater, and
the i-th stop of one is swapped with the i-th stop of the other until they cross; the ranges of one
recursion depth (and the rows of a tensor) are partitioned together. Heap steps (partial_sort, and the
rare fallbacks when quicksort recurses too deep) run element by element, as the library does."""
import numpy as np

_INT64_MAX = np.iinfo(np.int64).max
_SORT_THRESHOLD = 16  # std::sort leaves runs of up to 16 elements to its final insertion sort


def order_keys(data, largest):
    """int64 keys, one per value, whose ascending order is the order topk ranks the values in."""
    if data.dtype.kind in "iub":
        keys = data.astype(np.int64)
    else:
        values = data.astype(np.float64) + 0.0  # -0.0 becomes 0.0: the two compare equal
        bits = values.view(np.int64)
        keys = np.where(bits < 0, bits ^ np.int64(_INT64_MAX), bits)  # negative floats count down
        keys[np.isnan(values)] = _INT64_MAX
    return ~keys if largest else keys


def topk_order(keys, k, sorted):
    """The positions torch's topk returns for each row of `keys` (rows x n, 0 < k <= n). The rows are
    independent ranges of one queue, run through each step together."""
    rows, n = keys.shape
    queue = _Queue(keys.reshape(-1), n)
    starts = np.arange(rows, dtype=np.int64) * n
    if k * 64 <= n:
        for lo in starts.tolist():
            queue.heap_select(lo, lo + k, lo + n)
            queue.sort_heap(lo, lo + k)
    else:
        queue.nth_element(starts, starts + n, starts + k - 1)
        if sorted:
            queue.sort(starts, starts + k - 1)
    return queue.pos.reshape(rows, n)[:, :k]


def _depth_limits(lo, hi):
    """2 floor(log2(size)) for each range: how deep quicksort may recurse before it turns to heapsort."""
    return np.array([2 * (size.bit_length() - 1) for size in (hi - lo).tolist()], dtype=np.int64)


class _Queue:
    """The (key, position) pairs and the library's algorithms on them; `a < b` compares keys only. The
    algorithms act on ranges [lo, hi) of the queue, several at once where they take arrays."""

    def __init__(self, keys, row_length):
        self.key = np.array(keys, dtype=np.int64)
        self.pos = np.arange(len(keys), dtype=np.int64) % row_length
        self.columns = (self.key, self.pos)

    # ----- std::nth_element: introselect ---------------------------------------------------------------
    def nth_element(self, lo, hi, nth):
        """Put the pair of rank nth - lo of each range at nth, the smaller ones before it."""
        lo, hi = lo.copy(), hi.copy()
        depth = _depth_limits(lo, hi)
        while True:
            active = hi - lo > 3
            if not active.any():
                break
            for at in np.flatnonzero(active & (depth == 0)).tolist():  # recursed too deep: heap select
                self.heap_select(int(lo[at]), int(nth[at]) + 1, int(hi[at]))
                self._swap(lo[at], nth[at])
                hi[at] = lo[at]
            go = np.flatnonzero(active & (depth > 0))
            if not len(go):
                continue
            depth[go] -= 1
            cuts = self._partition_pivots(lo[go], hi[go])
            right = cuts <= nth[go]
            lo[go] = np.where(right, cuts, lo[go])
            hi[go] = np.where(right, hi[go], cuts)
        self._insertion_sort(lo, hi)

    def _partition_pivots(self, firsts, lasts):
        """Partition each range [first, last) (disjoint ranges, more than 3 pairs each) as
        std::__unguarded_partition_pivot does, all at once; returns each range's cut.

        The median of the pairs at first + 1, the middle and last - 1 moves to `first` and is the pivot of
        [first + 1, last). The scan from the left stops at the keys not less than the pivot, the scan from
        the right at those not greater; the i-th stops of both swap while the left one is still before the
        right one. The cut is where the left scan stops next: at its next stop, or at the last swapped right
        stop, which now holds a key not less than the pivot."""
        key = self.key
        a, b, c = firsts + 1, firsts + (lasts - firsts) // 2, lasts - 1
        ka, kb, kc = key[a], key[b], key[c]
        median = np.where(ka < kb, np.where(kb < kc, b, np.where(ka < kc, c, a)),
                          np.where(ka < kc, a, np.where(kb < kc, c, b)))
        self._swap(firsts, median)
        at, seg = _ranges(a, lasts)
        pivot = key[firsts][seg]
        left_stop, right_stop = key[at] >= pivot, key[at] <= pivot
        left, left_seg = at[left_stop], seg[left_stop]
        right, right_seg = at[right_stop][::-1], seg[right_stop][::-1]  # each range's stops, from its end
        n = len(firsts)
        left_start = _starts(np.bincount(left_seg, minlength=n))
        right_start = _starts(np.bincount(right_seg, minlength=n)[::-1])[::-1]
        left_count = np.bincount(left_seg, minlength=n)
        pairs = np.minimum(left_count, np.bincount(right_seg, minlength=n))  # at least 1: the median-of-3
        pair, pair_seg = _ranges(np.zeros(n, np.int64), pairs)
        li, ri = left[left_start[pair_seg] + pair], right[right_start[pair_seg] + pair]
        crossed = np.where(li >= ri, pair, pairs[pair_seg])
        swaps = np.minimum.reduceat(crossed, _starts(pairs))
        do = pair < swaps[pair_seg]
        self._swap(li[do], ri[do])
        next_left = np.where(swaps < left_count, left[np.minimum(left_start + swaps, len(left) - 1)], lasts)
        last_right = right[right_start + np.maximum(swaps - 1, 0)]
        return np.where(swaps > 0, np.minimum(next_left, last_right), next_left)

    def _swap(self, i, j):
        for column in self.columns:
            column[i], column[j] = column[j], column[i].copy()

    def _insertion_sort(self, lo, hi):
        """Insertion sort is stable: the pairs of each range end up in key order, equal keys as they were."""
        at, seg = _ranges(lo, hi)
        order = at[np.lexsort((self.key[at], seg))]
        for column in self.columns:
            column[at] = column[order]

    # ----- std::sort: introsort ------------------------------------------------------------------------
    def sort(self, lo, hi):
        """Sort each range: quicksort partitions down to runs of 16, then one insertion sort over the
        range. That insertion sort is stable, so only where the partitions leave equal keys matters: a run
        with no key repeated in its range is not partitioned further. All runs of one recursion depth are
        partitioned at once."""
        lo, hi = lo[hi - lo > 1], hi[hi - lo > 1]
        if not len(lo):
            return
        at, seg = _ranges(lo, hi)
        order = np.lexsort((self.key[at], seg))
        same = (np.diff(self.key[at][order]) == 0) & (np.diff(seg[order]) == 0)
        repeated = np.zeros(len(self.key), dtype=bool)  # moves with its pair in the partitions
        repeated[at[order][np.append(same, False) | np.insert(same, 0, False)]] = True
        self.columns = (self.key, self.pos, repeated)
        firsts, lasts, depth = lo, hi, _depth_limits(lo, hi)
        while True:
            marks = np.concatenate([[0], np.cumsum(repeated)])
            wanted = (lasts - firsts > _SORT_THRESHOLD) & (marks[lasts] > marks[firsts])
            firsts, lasts, depth = firsts[wanted], lasts[wanted], depth[wanted]
            if not len(firsts):
                break
            for first, last in zip(firsts[depth == 0].tolist(), lasts[depth == 0].tolist()):
                self.heap_select(first, last, last)  # recursed too deep: heapsort
                self.sort_heap(first, last)
            firsts, lasts, depth = firsts[depth > 0], lasts[depth > 0], depth[depth > 0] - 1
            if not len(firsts):
                break
            cuts = self._partition_pivots(firsts, lasts)
            firsts, lasts = np.concatenate([firsts, cuts]), np.concatenate([cuts, lasts])
            depth = np.concatenate([depth, depth])
        self.columns = (self.key, self.pos)
        self._insertion_sort(lo, hi)

    # ----- heaps: std::partial_sort, and the fallbacks when quicksort recurses too deep ------------------
    def heap_select(self, first, middle, last):
        """Make a max-heap of [first, middle), then let each later pair smaller than its top replace it."""
        heap_key = self.key[first:middle].tolist()
        heap_pos = self.pos[first:middle].tolist()
        size = len(heap_key)
        for parent in range((size - 2) // 2, -1, -1):
            _adjust_heap(heap_key, heap_pos, parent, size, heap_key[parent], heap_pos[parent])
        start = middle
        while start < last and size:
            stop = min(last, start + 65536)
            for i in (np.flatnonzero(self.key[start:stop] < heap_key[0]) + start).tolist():
                key_i, pos_i = int(self.key[i]), int(self.pos[i])
                if key_i < heap_key[0]:
                    self.key[i], self.pos[i] = heap_key[0], heap_pos[0]
                    _adjust_heap(heap_key, heap_pos, 0, size, key_i, pos_i)
            start = stop
        self.key[first:middle], self.pos[first:middle] = heap_key, heap_pos

    def sort_heap(self, first, last):
        """Pop the heap's top to the back, one pair at a time: ascending order."""
        heap_key = self.key[first:last].tolist()
        heap_pos = self.pos[first:last].tolist()
        for end in range(len(heap_key) - 1, 0, -1):
            key, pos = heap_key[end], heap_pos[end]
            heap_key[end], heap_pos[end] = heap_key[0], heap_pos[0]
            _adjust_heap(heap_key, heap_pos, 0, end, key, pos)
        self.key[first:last], self.pos[first:last] = heap_key, heap_pos


def _adjust_heap(key, pos, hole, size, value_key, value_pos):
    """std::__adjust_heap: sift the hole at `hole` down to a leaf, then push the value up from there."""
    top = hole
    child = hole
    while child < (size - 1) // 2:
        child = 2 * (child + 1)
        if key[child] < key[child - 1]:
            child -= 1
        key[hole], pos[hole] = key[child], pos[child]
        hole = child
    if size % 2 == 0 and child == (size - 2) // 2:
        child = 2 * (child + 1)
        key[hole], pos[hole] = key[child - 1], pos[child - 1]
        hole = child - 1
    parent = (hole - 1) // 2
    while hole > top and key[parent] < value_key:
        key[hole], pos[hole] = key[parent], pos[parent]
        hole = parent
        parent = (hole - 1) // 2
    key[hole], pos[hole] = value_key, value_pos


def _starts(counts):
    """Where each of consecutive groups of these sizes starts."""
    return np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)


def _ranges(starts, stops):
    """The positions of the ranges [start, stop) one after another, and the range each belongs to."""
    sizes = stops - starts
    seg = np.repeat(np.arange(len(sizes)), sizes)
    return np.arange(len(seg)) - _starts(sizes)[seg] + starts[seg], seg
