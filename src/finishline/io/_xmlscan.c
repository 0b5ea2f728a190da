/*
 * Optional compiled scanner for the GPX/TCX readers (finishline.io.xml_compiled chooses it).
 *
 * Each function computes, in one C loop, exactly what a sequence of numpy passes of the pure
 * path computes (finishline.io.xml_scan.tokenize, xml_names.local_names,
 * xml_points.find_points/_leaf_ranges, xml_values._decimals/_times); where the input is
 * unusual (comments or processing instructions in the body, '>' in text, names of 32 bytes or
 * more, overlapping tags) it returns None and the caller takes the numpy path, so both paths
 * give the same arrays by construction (tests/test_xml_compiled.py checks it).
 *
 * Safety on untrusted bytes: every read of the document is bounds-checked against its length;
 * index arrays given by the caller are checked before use; sizes are checked before any
 * allocation; no recursion. The loops run without the GIL (the buffers are held).
 *
 * Results are bytearrays that the caller views with numpy.frombuffer (no numpy headers are
 * needed to build this module); tags and names write into the caller's spare bytearrays
 * (those of its previous document) where they are large enough (finishline.io.xml_spare).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* Bumped whenever the behaviour of a function changes: xml_scan.py refuses another value. */
#define XMLSCAN_VERSION 3

#define MAX_VALUE_BYTES 40
#define MAX_LOCAL_NAME 16
#define MAX_WANTED 126
#define NAT INT64_MIN

/* ---------------------------------------------------------------------------------------- */
/* helpers                                                                                  */

static PyObject *new_array(Py_ssize_t count, Py_ssize_t itemsize, char **data)
{
    if (count < 0 || count > PY_SSIZE_T_MAX / (itemsize ? itemsize : 1)) {
        PyErr_SetString(PyExc_MemoryError, "array too large");
        return NULL;
    }
    PyObject *out = PyByteArray_FromStringAndSize(NULL, count * itemsize);
    if (out != NULL) {
        *data = PyByteArray_AS_STRING(out);
    }
    return out;
}

/* `spare` when it is a tuple of `count` distinct bytearrays, else NULL (not used). A caller's
 * spare arrays hold the results of an earlier call it no longer uses: writing them again saves
 * mapping fresh memory for every document. */
static PyObject *usable_spare(PyObject *spare, Py_ssize_t count)
{
    if (spare == Py_None || !PyTuple_CheckExact(spare) || PyTuple_GET_SIZE(spare) != count) {
        return NULL;
    }
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *item = PyTuple_GET_ITEM(spare, i);
        if (!PyByteArray_CheckExact(item)) {
            return NULL;
        }
        for (Py_ssize_t j = 0; j < i; j++) {
            if (PyTuple_GET_ITEM(spare, j) == item) {
                return NULL; /* one array for two results would mix them */
            }
        }
    }
    return spare;
}

/* The bytes of spare[index] (a usable_spare) when it holds `size` bytes or more and nothing
 * views it (no buffer export: no numpy array of an earlier document still reads it), else
 * NULL: a spare is only ever written when no one can see the write. */
static char *spare_bytes(PyObject *spare, Py_ssize_t index, Py_ssize_t size)
{
    if (spare == NULL) {
        return NULL;
    }
    PyObject *item = PyTuple_GET_ITEM(spare, index);
    if (((PyByteArrayObject *)item)->ob_exports > 0 || PyByteArray_GET_SIZE(item) < size) {
        return NULL;
    }
    return PyByteArray_AS_STRING(item);
}

/* An array of count items: spare[index] when it is large enough (a new reference to it),
 * else a new bytearray; NULL with an exception set when memory runs out. */
static PyObject *array_or_spare(PyObject *spare, Py_ssize_t index, Py_ssize_t count,
                                Py_ssize_t itemsize, char **data, int *reused)
{
    if (count >= 0 && count <= PY_SSIZE_T_MAX / (itemsize ? itemsize : 1)) {
        char *bytes = spare_bytes(spare, index, count * itemsize);
        if (bytes != NULL) {
            *data = bytes;
            *reused = 1;
            return Py_NewRef(PyTuple_GET_ITEM(spare, index));
        }
    }
    *reused = 0;
    return new_array(count, itemsize, data);
}

/* Shrink a bytearray made by new_array to count items (in place). */
static int shrink_array(PyObject *array, Py_ssize_t count, Py_ssize_t itemsize)
{
    return PyByteArray_Resize(array, count * itemsize);
}

/* A read-only C-contiguous buffer of items of exactly `itemsize` bytes. */
static int get_items(PyObject *obj, Py_buffer *view, Py_ssize_t itemsize, const char *what)
{
    if (PyObject_GetBuffer(obj, view, PyBUF_C_CONTIGUOUS) < 0) {
        return -1;
    }
    if (view->itemsize != itemsize || view->len % itemsize != 0) {
        PyErr_Format(PyExc_ValueError, "%s: expected items of %zd bytes", what, itemsize);
        PyBuffer_Release(view);
        return -1;
    }
    return 0;
}

/* Number of `byte` in buf[start:end) (16 bytes at a time where SSE2 is there). */
static Py_ssize_t count_byte(const unsigned char *buf, Py_ssize_t start, Py_ssize_t end,
                             unsigned char byte)
{
    Py_ssize_t count = 0, i = start;
#if defined(__SSE2__)
    /* per-byte counters (minus the 0xFF of each hit), summed every 255 blocks */
    const __m128i wanted = _mm_set1_epi8((char)byte), zero = _mm_setzero_si128();
    while (i + 16 <= end) {
        __m128i counters = zero;
        for (int block = 0; block < 255 && i + 16 <= end; block++, i += 16) {
            const __m128i chunk = _mm_loadu_si128((const __m128i *)(buf + i));
            counters = _mm_sub_epi8(counters, _mm_cmpeq_epi8(chunk, wanted));
        }
        const __m128i sums = _mm_sad_epu8(counters, zero);
        count += _mm_cvtsi128_si32(sums) + _mm_cvtsi128_si32(_mm_srli_si128(sums, 8));
    }
#endif
    for (; i < end; i++) {
        count += buf[i] == byte;
    }
    return count;
}

/* The state of the pairing of '<' with '>' (tags, pass 1). */
typedef struct {
    const unsigned char *buf;
    Py_ssize_t size, n, capacity, pending;
    int32_t *lt, *gt;
    int open;
} Marks;

/* One '<' or '>' at `at`; returns nonzero when the body is unusual (see tags). */
static inline int take_mark(Marks *m, Py_ssize_t at)
{
    if (m->buf[at] == '<') {
        if (m->open) {
            return 1;
        }
        if (at + 1 < m->size && (m->buf[at + 1] == '!' || m->buf[at + 1] == '?')) {
            return 1;
        }
        m->open = 1;
        m->pending = at;
        return 0;
    }
    if (!m->open || m->n >= m->capacity) {
        return 1;
    }
    m->lt[m->n] = (int32_t)m->pending;
    m->gt[m->n] = (int32_t)at;
    m->n++;
    m->open = 0;
    return 0;
}

/* Every '<' and '>' of buf[start:size) through take_mark, in order; nonzero when unusual. */
static int scan_marks(Marks *m, Py_ssize_t start)
{
    const unsigned char *buf = m->buf;
    Py_ssize_t i = start;
#if defined(__SSE2__)
    /* '<' (0x3C) and '>' (0x3E) differ only in bit 1 */
    const __m128i bit1 = _mm_set1_epi8(2), angle = _mm_set1_epi8('>');
    for (; i + 16 <= m->size; i += 16) {
        const __m128i chunk = _mm_loadu_si128((const __m128i *)(buf + i));
        unsigned hits = (unsigned)_mm_movemask_epi8(
            _mm_cmpeq_epi8(_mm_or_si128(chunk, bit1), angle));
        while (hits) {
            const Py_ssize_t at = i + __builtin_ctz(hits);
            hits &= hits - 1;
            if (take_mark(m, at)) {
                return 1;
            }
        }
    }
#endif
    for (; i < m->size; i++) {
        if ((buf[i] | 2) == '>' && take_mark(m, i)) {
            return 1;
        }
    }
    return 0;
}

/* ---------------------------------------------------------------------------------------- */
/* tags(text, body, spare) -> (lt, gt, closing, empty, level, close, nested, n) or None     */

PyDoc_STRVAR(tags_doc,
             "tags(text, body, spare=None)\n--\n\n"
             "Tags of a document body from offset body, as xml_scan.tokenize gives them:\n"
             "(lt int32, gt int32, closing bool, empty bool, level int16, close int32, nested, n)\n"
             "as bytearrays (their first n items), a bool and the number of tags n; None when\n"
             "the body holds '<!' or '<?', when '<' and '>' do not alternate, or when the\n"
             "document is 2 GiB or more. spare: None or a tuple of six distinct bytearrays,\n"
             "written and given back instead of new ones where they are large enough.");

static PyObject *xmlscan_tags(PyObject *Py_UNUSED(self), PyObject *args)
{
    Py_buffer text;
    Py_ssize_t body;
    PyObject *spare = Py_None;
    if (!PyArg_ParseTuple(args, "y*n|O", &text, &body, &spare)) {
        return NULL;
    }
    spare = usable_spare(spare, 6);
    const unsigned char *buf = (const unsigned char *)text.buf;
    const Py_ssize_t size = text.len;
    PyObject *result = NULL;
    PyObject *lt_obj = NULL, *gt_obj = NULL, *closing_obj = NULL, *empty_obj = NULL;
    PyObject *level_obj = NULL, *close_obj = NULL;
    int32_t small_prev[512], *prev = small_prev;
    int no_memory = 0;
    if (body < 0 || body > size || size >= ((Py_ssize_t)1 << 31) - 1) {
        result = Py_NewRef(Py_None);
        goto done;
    }
    /* An upper bound of the number of tags: the '<' after body. */
    Py_ssize_t capacity;
    Py_BEGIN_ALLOW_THREADS
    capacity = count_byte(buf, body, size, '<');
    Py_END_ALLOW_THREADS
    char *lt_data, *gt_data, *closing_data, *empty_data, *level_data, *close_data;
    int reused[6];
    if ((lt_obj = array_or_spare(spare, 0, capacity, 4, &lt_data, &reused[0])) == NULL ||
        (gt_obj = array_or_spare(spare, 1, capacity, 4, &gt_data, &reused[1])) == NULL ||
        (closing_obj = array_or_spare(spare, 2, capacity, 1, &closing_data, &reused[2])) == NULL ||
        (empty_obj = array_or_spare(spare, 3, capacity, 1, &empty_data, &reused[3])) == NULL ||
        (level_obj = array_or_spare(spare, 4, capacity, 2, &level_data, &reused[4])) == NULL ||
        (close_obj = array_or_spare(spare, 5, capacity, 4, &close_data, &reused[5])) == NULL) {
        goto done;
    }
    int32_t *lt = (int32_t *)lt_data, *gt = (int32_t *)gt_data, *close = (int32_t *)close_data;
    int16_t *level = (int16_t *)level_data;
    unsigned char *closing = (unsigned char *)closing_data, *empty = (unsigned char *)empty_data;
    int unusual;
    Py_ssize_t n = 0;
    int nested = 0;
    Marks marks = {buf, size, 0, capacity, 0, lt, gt, 0};

    Py_BEGIN_ALLOW_THREADS
    /* Pass 1: '<' and '>' alternate; each '<' (but a last unmatched one) starts a tag. */
    unusual = scan_marks(&marks, body);
    n = marks.n;
    if (!unusual) {
        /* Pass 2: kinds, levels (int16 arithmetic wraps, as numpy's cumsum does), pairs. */
        uint16_t depth = 0;
        int16_t low = INT16_MAX, high = INT16_MIN;
        for (Py_ssize_t k = 0; k < n; k++) {
            const Py_ssize_t a = lt[k], b = gt[k]; /* body <= a < b < size */
            closing[k] = buf[a + 1] == '/';
            empty[k] = !closing[k] && buf[b - 1] == '/';
            depth = (uint16_t)(depth + (closing[k] ? 0xFFFFu : (empty[k] ? 0u : 1u)));
            level[k] = (int16_t)(uint16_t)(depth + ((closing[k] || empty[k]) ? 1u : 0u));
            low = level[k] < low ? level[k] : low;
            high = level[k] > high ? level[k] : high;
            close[k] = -1;
        }
        /* the last tag seen at each level, indexed from the lowest level */
        const Py_ssize_t span = n ? (Py_ssize_t)high - low + 1 : 0;
        if (span > 512) {
            prev = PyMem_RawMalloc(sizeof(int32_t) * (size_t)span);
            no_memory = prev == NULL;
        }
        for (Py_ssize_t k = 0; k < span && !no_memory; k++) {
            prev[k] = -1;
        }
        Py_ssize_t n_closing = 0, n_leaves = 0, n_pairs = 0;
        int after_leaf = 0;
        for (Py_ssize_t k = 0; k < n && !no_memory; k++) {
            n_closing += closing[k];
            if (after_leaf) { /* the closing tag of a leaf */
                after_leaf = 0;
                continue;
            }
            if (empty[k]) {
                close[k] = (int32_t)k;
                continue;
            }
            if (!closing[k] && k + 1 < n && closing[k + 1]) {
                close[k] = (int32_t)(k + 1);
                n_leaves++;
                after_leaf = 1;
                continue;
            }
            const Py_ssize_t at = (Py_ssize_t)level[k] - low; /* 0 <= at < span */
            const int32_t p = prev[at];
            if (p >= 0 && !closing[p] && closing[k]) {
                close[p] = (int32_t)k;
                n_pairs++;
            }
            prev[at] = (int32_t)k;
        }
        nested = n_closing == n_leaves + n_pairs;
    }
    Py_END_ALLOW_THREADS

    if (no_memory) {
        PyErr_NoMemory();
        goto done;
    }
    if (unusual) {
        result = Py_NewRef(Py_None);
        goto done;
    }
    /* new arrays are cut to n items; spare ones keep their size (the caller reads n items) */
    if ((!reused[0] && shrink_array(lt_obj, n, 4) < 0) ||
        (!reused[1] && shrink_array(gt_obj, n, 4) < 0) ||
        (!reused[2] && shrink_array(closing_obj, n, 1) < 0) ||
        (!reused[3] && shrink_array(empty_obj, n, 1) < 0) ||
        (!reused[4] && shrink_array(level_obj, n, 2) < 0) ||
        (!reused[5] && shrink_array(close_obj, n, 4) < 0)) {
        goto done;
    }
    result = Py_BuildValue("(OOOOOONn)", lt_obj, gt_obj, closing_obj, empty_obj, level_obj,
                           close_obj, PyBool_FromLong(nested), n);
done:
    if (prev != small_prev) {
        PyMem_RawFree(prev);
    }
    Py_XDECREF(lt_obj);
    Py_XDECREF(gt_obj);
    Py_XDECREF(closing_obj);
    Py_XDECREF(empty_obj);
    Py_XDECREF(level_obj);
    Py_XDECREF(close_obj);
    PyBuffer_Release(&text);
    return result;
}

/* ---------------------------------------------------------------------------------------- */
/* names(text, lt, gt, closing, empty, close, wanted, spare) -> (ids, prefix_length, length,
 * match) */

PyDoc_STRVAR(names_doc,
             "names(text, lt, gt, closing, empty, close, wanted, spare=None)\n--\n\n"
             "Local names of the opening tags as xml_names.local_names finds them: (ids int8,\n"
             "prefix_length int32, length int32) as bytearrays (their first n items, one per\n"
             "tag) and pairs_match; None when a name is left to the numpy path (an unpaired\n"
             "name of 32 bytes or more) or tags overlap (the numpy path's tags of some\n"
             "malformed documents). spare: None or a tuple of three distinct bytearrays,\n"
             "written and given back instead of new ones where they are large enough.");

/* The wanted names, chained by length (first[length], then next[w]): the first of them
 * equal to a name is its index, as xml_names' lookup gives. */
typedef struct {
    const unsigned char *name[MAX_WANTED];
    int8_t first[MAX_LOCAL_NAME + 1];
    int8_t next[MAX_WANTED];
    Py_ssize_t count;
} Wanted;

static int8_t match_wanted(const Wanted *wanted, const unsigned char *name, Py_ssize_t length)
{
    if (length < 1 || length > MAX_LOCAL_NAME) {
        return -1;
    }
    for (int8_t w = wanted->first[length]; w >= 0; w = wanted->next[w]) {
        if (wanted->name[w][0] == name[0] && memcmp(wanted->name[w], name, (size_t)length) == 0) {
            return w;
        }
    }
    return -1;
}

static PyObject *xmlscan_names(PyObject *Py_UNUSED(self), PyObject *args)
{
    Py_buffer text, lt_view, gt_view, closing_view, empty_view, close_view;
    PyObject *text_obj, *lt_obj, *gt_obj, *closing_obj, *empty_obj, *close_obj, *wanted_obj;
    PyObject *spare = Py_None;
    if (!PyArg_ParseTuple(args, "OOOOOOO!|O", &text_obj, &lt_obj, &gt_obj, &closing_obj,
                          &empty_obj, &close_obj, &PyTuple_Type, &wanted_obj, &spare)) {
        return NULL;
    }
    spare = usable_spare(spare, 3);
    Wanted wanted;
    wanted.count = PyTuple_GET_SIZE(wanted_obj);
    if (wanted.count > MAX_WANTED) {
        PyErr_SetString(PyExc_ValueError, "too many wanted names");
        return NULL;
    }
    for (Py_ssize_t w = 0; w < wanted.count; w++) {
        PyObject *item = PyTuple_GET_ITEM(wanted_obj, w);
        if (!PyBytes_Check(item) || PyBytes_GET_SIZE(item) < 1 ||
            PyBytes_GET_SIZE(item) > MAX_LOCAL_NAME) {
            PyErr_SetString(PyExc_ValueError, "wanted names must be bytes of 1-16 bytes");
            return NULL;
        }
        wanted.name[w] = (const unsigned char *)PyBytes_AS_STRING(item);
    }
    for (Py_ssize_t length = 0; length <= MAX_LOCAL_NAME; length++) {
        wanted.first[length] = -1;
    }
    for (Py_ssize_t w = wanted.count - 1; w >= 0; w--) { /* chained in index order */
        const Py_ssize_t length = PyBytes_GET_SIZE(PyTuple_GET_ITEM(wanted_obj, w));
        wanted.next[w] = wanted.first[length];
        wanted.first[length] = (int8_t)w;
    }
    if (PyObject_GetBuffer(text_obj, &text, PyBUF_SIMPLE) < 0) {
        return NULL;
    }
    PyObject *result = NULL, *ids_obj = NULL, *prefix_obj = NULL, *length_obj = NULL;
    int got = 0;
    if (get_items(lt_obj, &lt_view, 4, "lt") < 0) {
        goto release;
    }
    got = 1;
    if (get_items(gt_obj, &gt_view, 4, "gt") < 0) {
        goto release;
    }
    got = 2;
    if (get_items(closing_obj, &closing_view, 1, "closing") < 0) {
        goto release;
    }
    got = 3;
    if (get_items(empty_obj, &empty_view, 1, "empty") < 0) {
        goto release;
    }
    got = 4;
    if (get_items(close_obj, &close_view, 4, "close") < 0) {
        goto release;
    }
    got = 5;
    const Py_ssize_t n = lt_view.len / 4;
    if (gt_view.len / 4 != n || closing_view.len != n || empty_view.len != n ||
        close_view.len / 4 != n) {
        PyErr_SetString(PyExc_ValueError, "tag arrays differ in length");
        goto release;
    }
    const unsigned char *buf = (const unsigned char *)text.buf;
    const Py_ssize_t size = text.len;
    const int32_t *lt = lt_view.buf, *gt = gt_view.buf, *close = close_view.buf;
    const unsigned char *closing = closing_view.buf, *empty = empty_view.buf;
    /* the tags must lie in the text and close must index tags; tags that overlap (the numpy
     * path makes them of some malformed documents) are left to the numpy path */
    int overlapping = 0;
    for (Py_ssize_t k = 0; k < n; k++) {
        if (lt[k] < 0 || gt[k] <= lt[k] || gt[k] >= size || close[k] < -1 || close[k] >= n) {
            PyErr_SetString(PyExc_ValueError, "tag arrays do not describe the text");
            goto release;
        }
        overlapping |= k > 0 && lt[k] <= gt[k - 1];
    }
    if (overlapping) {
        result = Py_NewRef(Py_None);
        goto release;
    }
    char *ids_data, *prefix_data, *length_data;
    int reused; /* (spare arrays keep their size: the caller reads n items) */
    if ((ids_obj = array_or_spare(spare, 0, n, 1, &ids_data, &reused)) == NULL ||
        (prefix_obj = array_or_spare(spare, 1, n, 4, &prefix_data, &reused)) == NULL ||
        (length_obj = array_or_spare(spare, 2, n, 4, &length_data, &reused)) == NULL) {
        goto release;
    }
    int8_t *ids = (int8_t *)ids_data;
    int32_t *prefix_length = (int32_t *)prefix_data, *length = (int32_t *)length_data;
    int pairs_match = 1, fallback = 0;

    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t k = 0; k < n && !fallback; k++) {
        ids[k] = -1;
        prefix_length[k] = 0;
        length[k] = 0;
        if (closing[k]) {
            continue;
        }
        const int32_t c = close[k];
        int paired = !empty[k] && c >= 0;
        if (paired && buf[gt[c] - 1] <= 32) { /* "</a >": the name is not delimited there */
            paired = 0;
            pairs_match = 0;
        }
        const Py_ssize_t start = (Py_ssize_t)lt[k] + 1;
        Py_ssize_t end, colon = -1;
        const unsigned char *name;
        if (paired) {
            /* the name is the closing tag's, checked against the opening tag */
            const Py_ssize_t closing_at = (Py_ssize_t)lt[c] + 2;
            end = (Py_ssize_t)gt[c] - closing_at; /* >= 0: buf[lt[c] + 1] is '/' */
            if (end < 0) {
                end = 0;
            }
            name = buf + closing_at;
            Py_ssize_t after = start + end;
            if (after > size - 1) {
                after = size - 1;
            }
            const unsigned char next = buf[after];
            if (end < 1 || !(next <= 32 || next == '/' || next == '>')) {
                pairs_match = 0;
            } else if (start + end > size || memcmp(buf + start, name, (size_t)end) != 0) {
                pairs_match = 0;
            }
            const unsigned char *at = end > 0 ? memchr(name, ':', (size_t)end) : NULL;
            colon = at ? at - name : -1;
        } else {
            /* delimited in the opening tag: first byte below 0x21, or '>' (or '/>') */
            Py_ssize_t limit = (Py_ssize_t)gt[k] - (empty[k] ? 1 : 0) - start;
            if (limit < 0) {
                limit = 0;
            }
            if (limit > 32) {
                limit = 32;
            }
            name = buf + start;
            end = 0;
            while (end < limit && name[end] > 32) {
                end++;
            }
            if (end >= 32) {
                fallback = 1; /* a long name: xml_names reads it with a regular expression */
                break;
            }
            const unsigned char *at = end > 0 ? memchr(name, ':', (size_t)end) : NULL;
            colon = at ? at - name : -1;
        }
        ids[k] = match_wanted(&wanted, name + colon + 1, end - colon - 1);
        prefix_length[k] = (int32_t)(colon > 0 ? colon : 0);
        length[k] = (int32_t)end;
    }
    Py_END_ALLOW_THREADS

    if (fallback) {
        result = Py_NewRef(Py_None);
    } else {
        result = Py_BuildValue("(OOON)", ids_obj, prefix_obj, length_obj,
                               PyBool_FromLong(pairs_match));
    }
release:
    Py_XDECREF(ids_obj);
    Py_XDECREF(prefix_obj);
    Py_XDECREF(length_obj);
    if (got >= 5) {
        PyBuffer_Release(&close_view);
    }
    if (got >= 4) {
        PyBuffer_Release(&empty_view);
    }
    if (got >= 3) {
        PyBuffer_Release(&closing_view);
    }
    if (got >= 2) {
        PyBuffer_Release(&gt_view);
    }
    if (got >= 1) {
        PyBuffer_Release(&lt_view);
    }
    PyBuffer_Release(&text);
    return result;
}

/* ---------------------------------------------------------------------------------------- */
/* points(lt, gt, close, ids, kinds, size) -> (opening, closing, kind, run, run_start)        */

PyDoc_STRVAR(points_doc,
             "points(lt, gt, close, ids, kinds, size)\n--\n\n"
             "The complete points that are not inside another point, as xml_points.find_points\n"
             "finds them: kinds maps a name index to its point kind (a tuple of (index, kind));\n"
             "size is the document's length. Returns (opening int64, closing int32, kind int64,\n"
             "run int64, run_start int64) as bytearrays.");

static PyObject *xmlscan_points(PyObject *Py_UNUSED(self), PyObject *args)
{
    PyObject *objs[4], *kinds_obj;
    Py_ssize_t size;
    if (!PyArg_ParseTuple(args, "OOOOO!n", &objs[0], &objs[1], &objs[2], &objs[3],
                          &PyTuple_Type, &kinds_obj, &size)) {
        return NULL;
    }
    static const Py_ssize_t sizes[4] = {4, 4, 4, 1};
    static const char *what[4] = {"lt", "gt", "close", "ids"};
    int16_t kind_of[256];
    for (int k = 0; k < 256; k++) {
        kind_of[k] = -1;
    }
    for (Py_ssize_t k = 0; k < PyTuple_GET_SIZE(kinds_obj); k++) {
        long id, kind;
        if (!PyArg_ParseTuple(PyTuple_GET_ITEM(kinds_obj, k), "ll", &id, &kind)) {
            return NULL;
        }
        if (id < 0 || id > MAX_WANTED || kind < 0 || kind > MAX_WANTED) {
            PyErr_SetString(PyExc_ValueError, "a point kind is not a name index");
            return NULL;
        }
        kind_of[id] = (int16_t)kind;
    }
    Py_buffer views[4];
    int got = 0;
    PyObject *result = NULL, *out[5] = {NULL, NULL, NULL, NULL, NULL};
    for (; got < 4; got++) {
        if (get_items(objs[got], &views[got], sizes[got], what[got]) < 0) {
            goto done;
        }
    }
    const Py_ssize_t n = views[0].len / 4;
    if (views[1].len / 4 != n || views[2].len / 4 != n || views[3].len != n) {
        PyErr_SetString(PyExc_ValueError, "arrays differ in length");
        goto done;
    }
    const int32_t *lt = views[0].buf, *gt = views[1].buf, *close = views[2].buf;
    const int8_t *ids = views[3].buf;
    Py_ssize_t candidates = 0;
    for (Py_ssize_t k = 0; k < n; k++) {
        if (close[k] < -1 || close[k] >= n) {
            PyErr_SetString(PyExc_ValueError, "close does not index the tags");
            goto done;
        }
        candidates += ids[k] >= 0 && kind_of[(uint8_t)ids[k]] >= 0;
    }
    char *data[5];
    static const Py_ssize_t out_sizes[5] = {8, 4, 8, 8, 8};
    for (int j = 0; j < 5; j++) {
        if ((out[j] = new_array(candidates + (j == 4), out_sizes[j], &data[j])) == NULL) {
            goto done;
        }
    }
    int64_t *opening = (int64_t *)data[0], *kind = (int64_t *)data[2], *run = (int64_t *)data[3];
    int64_t *run_start = (int64_t *)data[4];
    int32_t *closing = (int32_t *)data[1];
    Py_ssize_t m = 0, runs = 0;
    Py_BEGIN_ALLOW_THREADS
    int64_t reach = INT64_MIN; /* the furthest end of the point candidates so far */
    for (Py_ssize_t k = 0; k < n; k++) {
        if (ids[k] < 0 || kind_of[(uint8_t)ids[k]] < 0) {
            continue;
        }
        const int32_t c = close[k];
        const int64_t extent_end = c >= 0 ? (int64_t)gt[c] : (int64_t)size;
        const int inside_previous = (int64_t)lt[k] < reach;
        if (extent_end > reach) {
            reach = extent_end;
        }
        if (c < 0 || inside_previous) {
            continue;
        }
        const int64_t this_kind = kind_of[(uint8_t)ids[k]];
        if (m == 0 || k != (Py_ssize_t)closing[m - 1] + 1 || this_kind != kind[m - 1]) {
            run_start[runs++] = m;
        }
        opening[m] = k;
        closing[m] = c;
        kind[m] = this_kind;
        run[m] = runs - 1;
        m++;
    }
    run_start[runs] = m;
    Py_END_ALLOW_THREADS
    if (shrink_array(out[0], m, 8) < 0 || shrink_array(out[1], m, 4) < 0 ||
        shrink_array(out[2], m, 8) < 0 || shrink_array(out[3], m, 8) < 0 ||
        shrink_array(out[4], runs + 1, 8) < 0) {
        goto done;
    }
    result = PyTuple_Pack(5, out[0], out[1], out[2], out[3], out[4]);
done:
    for (int j = 0; j < 5; j++) {
        Py_XDECREF(out[j]);
    }
    while (got > 0) {
        PyBuffer_Release(&views[--got]);
    }
    return result;
}

/* ---------------------------------------------------------------------------------------- */
/* fields(lt, gt, closing, empty, ids, opening, closing_of, slots) -> (starts, ends)         */

PyDoc_STRVAR(fields_doc,
             "fields(lt, gt, closing, empty, ids, point_opening, point_closing, slots)\n--\n\n"
             "For each name index in slots (a tuple) and each point, the byte range of the text\n"
             "of the first element of that name with text inside the point (as\n"
             "xml_points.field_ranges finds it); 0, 0 where there is none. Returns (starts,\n"
             "ends) as bytearrays of int64, slot-major (len(slots) x points); None when tags\n"
             "or points overlap.");

static PyObject *xmlscan_fields(PyObject *Py_UNUSED(self), PyObject *args)
{
    PyObject *objs[7], *slots_obj;
    if (!PyArg_ParseTuple(args, "OOOOOOOO!", &objs[0], &objs[1], &objs[2], &objs[3], &objs[4],
                          &objs[5], &objs[6], &PyTuple_Type, &slots_obj)) {
        return NULL;
    }
    static const Py_ssize_t sizes[7] = {4, 4, 1, 1, 1, 8, 8};
    static const char *what[7] = {"lt", "gt", "closing", "empty", "ids", "point_opening",
                                  "point_closing"};
    Py_buffer views[7];
    int got = 0;
    PyObject *result = NULL, *starts_obj = NULL, *ends_obj = NULL;
    int16_t slot_of[256];
    for (int k = 0; k < 256; k++) {
        slot_of[k] = -1;
    }
    const Py_ssize_t n_slots = PyTuple_GET_SIZE(slots_obj);
    if (n_slots > MAX_WANTED) {
        PyErr_SetString(PyExc_ValueError, "too many slots");
        return NULL;
    }
    for (Py_ssize_t k = 0; k < n_slots; k++) {
        const long id = PyLong_AsLong(PyTuple_GET_ITEM(slots_obj, k));
        if (id == -1 && PyErr_Occurred()) {
            return NULL;
        }
        if (id < 0 || id > MAX_WANTED) {
            PyErr_SetString(PyExc_ValueError, "a slot is not a name index");
            return NULL;
        }
        if (slot_of[id] < 0) {
            slot_of[id] = (int16_t)k;
        }
    }
    for (; got < 7; got++) {
        if (get_items(objs[got], &views[got], sizes[got], what[got]) < 0) {
            goto done;
        }
    }
    const Py_ssize_t n = views[0].len / 4, n_points = views[5].len / 8;
    if (views[1].len / 4 != n || views[2].len != n || views[3].len != n || views[4].len != n ||
        views[6].len / 8 != n_points) {
        PyErr_SetString(PyExc_ValueError, "arrays differ in length");
        goto done;
    }
    const int32_t *lt = views[0].buf, *gt = views[1].buf;
    const unsigned char *closing = views[2].buf, *empty = views[3].buf;
    const int8_t *ids = views[4].buf;
    const int64_t *opening = views[5].buf, *closing_of = views[6].buf;
    int unordered = 0;
    for (Py_ssize_t p = 0; p < n_points; p++) {
        if (opening[p] < 0 || closing_of[p] < opening[p] || closing_of[p] >= n) {
            PyErr_SetString(PyExc_ValueError, "points do not index the tags");
            goto done;
        }
        unordered |= p > 0 && opening[p] <= closing_of[p - 1];
    }
    for (Py_ssize_t k = 1; k < n && !unordered; k++) {
        unordered |= lt[k] <= gt[k - 1];
    }
    if (unordered) { /* overlapping tags or points: left to the numpy path */
        result = Py_NewRef(Py_None);
        goto done;
    }
    if (n_points > PY_SSIZE_T_MAX / (n_slots ? n_slots : 1)) {
        PyErr_NoMemory();
        goto done;
    }
    char *starts_data, *ends_data;
    if ((starts_obj = new_array(n_slots * n_points, 8, &starts_data)) == NULL ||
        (ends_obj = new_array(n_slots * n_points, 8, &ends_data)) == NULL) {
        goto done;
    }
    int64_t *starts = (int64_t *)starts_data, *ends = (int64_t *)ends_data;
    Py_BEGIN_ALLOW_THREADS
    memset(starts, 0, (size_t)(n_slots * n_points) * 8);
    memset(ends, 0, (size_t)(n_slots * n_points) * 8);
    for (Py_ssize_t p = 0; p < n_points; p++) {
        for (Py_ssize_t k = opening[p]; k < closing_of[p]; k++) { /* k + 1 < n */
            if (closing[k] || ids[k] < 0) {
                continue;
            }
            const int16_t slot = slot_of[(uint8_t)ids[k]];
            if (slot < 0) {
                continue;
            }
            const Py_ssize_t at = slot * n_points + p;
            if (ends[at] > starts[at]) {
                continue; /* the first element with text wins */
            }
            const int64_t start = (int64_t)gt[k] + 1;
            const int64_t end = empty[k] ? start : (int64_t)lt[k + 1];
            if (end > start) {
                starts[at] = start;
                ends[at] = end;
            }
        }
    }
    Py_END_ALLOW_THREADS
    result = PyTuple_Pack(2, starts_obj, ends_obj);
done:
    Py_XDECREF(starts_obj);
    Py_XDECREF(ends_obj);
    while (got > 0) {
        PyBuffer_Release(&views[--got]);
    }
    return result;
}

/* ---------------------------------------------------------------------------------------- */
/* values: decimals and times of byte ranges                                                 */

/* Status of a value: absent (blank range), converted here, or left to the pure path. */
enum { ABSENT = 0, FAST = 1, SLOW = 2 };

/* Byte ranges of values; `rows` > 0 dividing n: n / rows fields of `rows` values each,
 * visited row by row (the values of a point lie together in the document). */
typedef struct {
    Py_buffer text, starts, ends;
    Py_ssize_t n, rows;
} Ranges;

/* The layout visited: `fields` groups of `rows` values (one group of n otherwise). */
static void layout(const Ranges *r, Py_ssize_t *rows, Py_ssize_t *fields)
{
    if (r->rows > 0 && r->n % r->rows == 0) {
        *rows = r->rows;
        *fields = r->n / r->rows;
    } else {
        *rows = r->n;
        *fields = 1;
    }
}

static int get_ranges(PyObject *args, Ranges *r)
{
    PyObject *starts_obj, *ends_obj;
    r->rows = 0;
    if (!PyArg_ParseTuple(args, "y*OO|n", &r->text, &starts_obj, &ends_obj, &r->rows)) {
        return -1;
    }
    if (get_items(starts_obj, &r->starts, 8, "starts") < 0) {
        PyBuffer_Release(&r->text);
        return -1;
    }
    if (get_items(ends_obj, &r->ends, 8, "ends") < 0) {
        PyBuffer_Release(&r->starts);
        PyBuffer_Release(&r->text);
        return -1;
    }
    r->n = r->starts.len / 8;
    if (r->ends.len / 8 != r->n) {
        PyErr_SetString(PyExc_ValueError, "starts and ends differ in length");
        goto fail;
    }
    const int64_t *s = r->starts.buf, *e = r->ends.buf;
    for (Py_ssize_t i = 0; i < r->n; i++) {
        if (s[i] < 0 || e[i] < 0 || s[i] > r->text.len || e[i] > r->text.len) {
            PyErr_SetString(PyExc_ValueError, "a range lies outside the text");
            goto fail;
        }
    }
    return 0;
fail:
    PyBuffer_Release(&r->ends);
    PyBuffer_Release(&r->starts);
    PyBuffer_Release(&r->text);
    return -1;
}

static void release_ranges(Ranges *r)
{
    PyBuffer_Release(&r->ends);
    PyBuffer_Release(&r->starts);
    PyBuffer_Release(&r->text);
}

/* The range without leading and trailing bytes <= 0x20 (xml_values.trim). */
static void trim(const unsigned char *buf, int64_t *start, int64_t *end)
{
    while (*start < *end && buf[*start] <= 32) {
        (*start)++;
    }
    while (*start < *end && buf[*end - 1] <= 32) {
        (*end)--;
    }
}

static const double POW10[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                 1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* An unsigned plain decimal (xml_values._fast_decimals): digits with at most one dot, at
 * most 18 digits before it; digits after the 18th significant one are dropped (leading zeros
 * are kept, as zeros). Returns 0 when the text is not one. */
static int plain_decimal(const unsigned char *s, Py_ssize_t length, double *out)
{
    if (length <= 18) { /* at most 18 digits: every digit kept, no significance to track */
        uint64_t value = 0;
        Py_ssize_t dot = -1;
        for (Py_ssize_t j = 0; j < length; j++) {
            const unsigned digit = (unsigned)s[j] - '0';
            if (digit <= 9) {
                value = value * 10u + digit;
            } else if (s[j] == '.' && dot < 0) {
                dot = j;
            } else {
                return 0;
            }
        }
        if (length - (dot >= 0) < 1) {
            return 0;
        }
        *out = (double)(int64_t)value / POW10[dot >= 0 ? length - dot - 1 : 0];
        return 1;
    }
    uint64_t mantissa = 0;
    Py_ssize_t n_digits = 0, dot_at = -1, rank = 0, fraction_digits = 0;
    for (Py_ssize_t j = 0; j < length; j++) {
        const unsigned digit = (unsigned)s[j] - '0';
        if (digit > 9) {
            if (s[j] != '.' || dot_at >= 0) {
                return 0;
            }
            dot_at = j;
            continue;
        }
        n_digits++;
        if (rank || digit) { /* significant */
            if (++rank > 18) {
                continue;
            }
        }
        mantissa = mantissa * 10u + digit;
        fraction_digits += dot_at >= 0;
    }
    const Py_ssize_t fraction_chars = dot_at >= 0 ? length - dot_at - 1 : 0;
    if (n_digits < 1 || n_digits - fraction_chars > 18 || fraction_digits >= 23) {
        return 0;
    }
    *out = (double)(int64_t)mantissa / POW10[fraction_digits];
    return 1;
}

PyDoc_STRVAR(decimals_doc,
             "decimals(text, starts, ends, rows=0)\n--\n\n"
             "Plain decimals of the byte ranges [starts, ends) (int64): (values float64,\n"
             "status int8) as bytearrays; status 0 absent, 1 converted, 2 left to the caller\n"
             "(values NaN there), as xml_values._decimals decides. rows: see Ranges.");

static PyObject *xmlscan_decimals(PyObject *Py_UNUSED(self), PyObject *args)
{
    Ranges r;
    if (get_ranges(args, &r) < 0) {
        return NULL;
    }
    PyObject *result = NULL, *values_obj = NULL, *status_obj = NULL;
    char *values_data, *status_data;
    if ((values_obj = new_array(r.n, 8, &values_data)) == NULL ||
        (status_obj = new_array(r.n, 1, &status_data)) == NULL) {
        goto done;
    }
    double *values = (double *)values_data;
    int8_t *status = (int8_t *)status_data;
    const unsigned char *buf = r.text.buf;
    const int64_t *starts = r.starts.buf, *ends = r.ends.buf;
    Py_BEGIN_ALLOW_THREADS
    Py_ssize_t rows, fields;
    layout(&r, &rows, &fields);
    for (Py_ssize_t row = 0; row < rows; row++) {
        for (Py_ssize_t field = 0; field < fields; field++) {
            const Py_ssize_t i = field * rows + row;
            int64_t start = starts[i], end = ends[i];
            trim(buf, &start, &end);
            values[i] = Py_NAN;
            if (start >= end) {
                status[i] = ABSENT;
                continue;
            }
            const int negative = buf[start] == '-';
            const int sign = negative || buf[start] == '+';
            const Py_ssize_t length = (Py_ssize_t)(end - start - sign);
            double magnitude;
            if (length >= 1 && length <= MAX_VALUE_BYTES &&
                plain_decimal(buf + start + sign, length, &magnitude)) {
                values[i] = negative ? -magnitude : magnitude;
                status[i] = FAST;
            } else {
                status[i] = SLOW;
            }
        }
    }
    Py_END_ALLOW_THREADS
    result = PyTuple_Pack(2, values_obj, status_obj);
done:
    Py_XDECREF(values_obj);
    Py_XDECREF(status_obj);
    release_ranges(&r);
    return result;
}

static int is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static int64_t number(const unsigned char *s, int count)
{
    int64_t value = 0;
    for (int j = 0; j < count; j++) {
        value = value * 10 + (s[j] - '0');
    }
    return value;
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

/* Hinnant's days_from_civil (xml_values.days_from_civil). */
static int64_t days_from_civil(int64_t year, int64_t month, int64_t day)
{
    year -= month <= 2;
    const int64_t era = floor_div(year, 400);
    const int64_t year_of_era = year - era * 400;
    const int64_t day_of_year = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
    const int64_t day_of_era =
        year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    return era * 146097 + day_of_era - 719468;
}

/*
 * YYYY-MM-DDTHH:MM:SS[.f{1,9}][Z|z|+HH:MM|+HHMM|+HH] (xml_values._fast_times): returns 0
 * when the text is not in that layout or names an impossible date or time, else 1 with *out
 * the nanoseconds since the epoch (NAT outside [min_s, max_s) seconds).
 */
static int layout_time(const unsigned char *s, Py_ssize_t length, int64_t min_s, int64_t max_s,
                       int64_t *out)
{
    static const int digits_at[14] = {0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18};
    static const int days_in_month[13] = {0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (length < 19 || length > MAX_VALUE_BYTES) {
        return 0;
    }
    for (int j = 0; j < 14; j++) {
        if (!is_digit(s[digits_at[j]])) {
            return 0;
        }
    }
    if (s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':') {
        return 0;
    }
    Py_ssize_t zone_at = 19;
    int64_t fraction = 0;
    if (length > 19 && s[19] == '.') {
        Py_ssize_t j = 20;
        while (j < length && is_digit(s[j])) {
            j++;
        }
        const Py_ssize_t n_fraction = j - 20;
        if (n_fraction < 1 || n_fraction > 9) {
            return 0;
        }
        for (Py_ssize_t k = 0; k < 9; k++) {
            fraction = fraction * 10 + (k < n_fraction ? s[20 + k] - '0' : 0);
        }
        zone_at = j;
    }
    const Py_ssize_t zone_len = length - zone_at;
    const unsigned char *z = s + zone_at;
    int64_t offset_s = 0;
    if (zone_len == 0 || (zone_len == 1 && (z[0] == 'Z' || z[0] == 'z'))) {
        offset_s = 0;
    } else {
        if (!(z[0] == '+' || z[0] == '-') || zone_len < 3 || !is_digit(z[1]) ||
            !is_digit(z[2])) {
            return 0;
        }
        const int64_t hours = (z[1] - '0') * 10 + (z[2] - '0');
        int64_t minutes;
        if (zone_len == 3) {
            minutes = 0;
        } else if (zone_len == 5 && is_digit(z[3]) && is_digit(z[4])) {
            minutes = (z[3] - '0') * 10 + (z[4] - '0');
        } else if (zone_len == 6 && z[3] == ':' && is_digit(z[4]) && is_digit(z[5])) {
            minutes = (z[4] - '0') * 10 + (z[5] - '0');
        } else {
            return 0;
        }
        if (hours > 23 || minutes > 59) {
            return 0;
        }
        offset_s = (z[0] == '-' ? -1 : 1) * (hours * 3600 + minutes * 60);
    }
    const int64_t year = number(s, 4), month = number(s + 5, 2), day = number(s + 8, 2);
    const int64_t hour = number(s + 11, 2), minute = number(s + 14, 2);
    const int64_t second = number(s + 17, 2);
    if (month < 1 || month > 12) {
        return 0;
    }
    const int leap = (year % 4 == 0) && ((year % 100 != 0) || (year % 400 == 0));
    const int64_t month_days = days_in_month[month] - ((month == 2) && !leap);
    if (day < 1 || day > month_days || hour > 23 || minute > 59 || second > 59) {
        return 0;
    }
    int64_t seconds = days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 +
                      second - offset_s;
    *out = (seconds >= min_s && seconds < max_s) ? seconds * 1000000000LL + fraction : NAT;
    return 1;
}

PyDoc_STRVAR(times_doc,
             "times(text, starts, ends, min_s, max_s)\n--\n\n"
             "ISO 8601 times of the byte ranges [starts, ends) (int64) in the layout devices\n"
             "write: (nanoseconds int64, status int8) as bytearrays; status 0 absent, 1 in the\n"
             "layout (NAT outside [min_s, max_s) seconds), 2 left to the caller, as\n"
             "xml_values._times decides.");

static PyObject *xmlscan_times(PyObject *Py_UNUSED(self), PyObject *args)
{
    long long min_s, max_s;
    PyObject *text_obj, *starts_obj, *ends_obj;
    if (!PyArg_ParseTuple(args, "OOOLL", &text_obj, &starts_obj, &ends_obj, &min_s, &max_s)) {
        return NULL;
    }
    PyObject *three = PyTuple_Pack(3, text_obj, starts_obj, ends_obj);
    if (three == NULL) {
        return NULL;
    }
    Ranges r;
    const int got = get_ranges(three, &r);
    Py_DECREF(three);
    if (got < 0) {
        return NULL;
    }
    PyObject *result = NULL, *out_obj = NULL, *status_obj = NULL;
    char *out_data, *status_data;
    if ((out_obj = new_array(r.n, 8, &out_data)) == NULL ||
        (status_obj = new_array(r.n, 1, &status_data)) == NULL) {
        goto done;
    }
    int64_t *out = (int64_t *)out_data;
    int8_t *status = (int8_t *)status_data;
    const unsigned char *buf = r.text.buf;
    const int64_t *starts = r.starts.buf, *ends = r.ends.buf;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t i = 0; i < r.n; i++) {
        int64_t start = starts[i], end = ends[i];
        trim(buf, &start, &end);
        out[i] = NAT;
        if (start >= end) {
            status[i] = ABSENT;
            continue;
        }
        status[i] = layout_time(buf + start, (Py_ssize_t)(end - start), (int64_t)min_s,
                                (int64_t)max_s, &out[i])
                        ? FAST
                        : SLOW;
    }
    Py_END_ALLOW_THREADS
    result = PyTuple_Pack(2, out_obj, status_obj);
done:
    Py_XDECREF(out_obj);
    Py_XDECREF(status_obj);
    release_ranges(&r);
    return result;
}

/* ---------------------------------------------------------------------------------------- */

static PyMethodDef xmlscan_methods[] = {
    {"tags", xmlscan_tags, METH_VARARGS, tags_doc},
    {"names", xmlscan_names, METH_VARARGS, names_doc},
    {"points", xmlscan_points, METH_VARARGS, points_doc},
    {"fields", xmlscan_fields, METH_VARARGS, fields_doc},
    {"decimals", xmlscan_decimals, METH_VARARGS, decimals_doc},
    {"times", xmlscan_times, METH_VARARGS, times_doc},
    {NULL, NULL, 0, NULL},
};

static int xmlscan_exec(PyObject *module)
{
    return PyModule_AddIntConstant(module, "VERSION", XMLSCAN_VERSION);
}

static PyModuleDef_Slot xmlscan_slots[] = {
    {Py_mod_exec, xmlscan_exec},
    {0, NULL},
};

static struct PyModuleDef xmlscan_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "finishline.io._xmlscan",
    .m_doc = "Compiled scanner of GPX/TCX bytes (optional; see finishline.io.xml_scan).",
    .m_size = 0,
    .m_methods = xmlscan_methods,
    .m_slots = xmlscan_slots,
};

PyMODINIT_FUNC PyInit__xmlscan(void)
{
    return PyModuleDef_Init(&xmlscan_module);
}
