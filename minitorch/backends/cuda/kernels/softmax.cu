// Row-wise softmax, log-softmax and cross-entropy over a contiguous (rows, cols) matrix; callers move
// the class dimension last. The forward kernels give each row one block of 256 threads (launch them
// with blockDim.x == 256): threads stride along the row and combine partial results in shared memory.
// Stability: every exponent is taken of x - max(row), so it never overflows.

constexpr int BLOCK = 256;

// The sum (or, with take_max, the maximum) of `v` over the block; every thread receives it.
template <typename T>
__device__ T block_reduce(T v, bool take_max) {
    __shared__ T buf[BLOCK];
    buf[threadIdx.x] = v;
    __syncthreads();
    for (unsigned s = BLOCK / 2; s > 0; s /= 2) {
        if (threadIdx.x < s) {
            T other = buf[threadIdx.x + s];
            buf[threadIdx.x] = take_max ? max(buf[threadIdx.x], other) : buf[threadIdx.x] + other;
        }
        __syncthreads();
    }
    T result = buf[0];
    __syncthreads();  // buf is reused by the next reduction
    return result;
}

// log(sum(exp(row))) computed as m + log(sum(exp(row - m))) with m the row maximum.
template <typename T>
__device__ T row_logsumexp(const T* row, long long cols) {
    T m = row[0];  // a valid start for every thread's partial maximum (rows are never empty)
    for (long long j = threadIdx.x; j < cols; j += BLOCK) m = max(m, row[j]);
    m = block_reduce(m, true);
    T s = 0;
    for (long long j = threadIdx.x; j < cols; j += BLOCK) s += exp(row[j] - m);
    return m + log(block_reduce(s, false));
}

// softmax (log_softmax when take_log): y = exp(x - lse) (or x - lse) with lse the row's logsumexp.
template <typename T>
__global__ void softmax_forward(const T* x, T* y, long long cols, int take_log) {
    const T* row = x + blockIdx.x * cols;
    T* out = y + blockIdx.x * cols;
    T lse = row_logsumexp(row, cols);
    for (long long j = threadIdx.x; j < cols; j += BLOCK)
        out[j] = take_log ? row[j] - lse : exp(row[j] - lse);
}

// Gradient from the forward output y and the incoming gradient gy:
//   softmax:     gx = y * (gy - sum(gy * y))
//   log_softmax: gx = gy - exp(y) * sum(gy)
template <typename T>
__global__ void softmax_backward(const T* y, const T* gy, T* gx, long long cols, int take_log) {
    long long base = blockIdx.x * cols;
    T s = 0;
    for (long long j = threadIdx.x; j < cols; j += BLOCK)
        s += take_log ? gy[base + j] : gy[base + j] * y[base + j];
    s = block_reduce(s, false);
    for (long long j = threadIdx.x; j < cols; j += BLOCK) {
        long long k = base + j;
        gx[k] = take_log ? gy[k] - exp(y[k]) * s : y[k] * (gy[k] - s);
    }
}

// Cross-entropy of each row of logits x against a class index, with optional class weights w
// (nullptr: all 1), ignore_index and label smoothing eps, as torch.nn.functional.cross_entropy:
//   loss = (1 - eps) * w[t] * (lse - x[t]) + eps / C * sum_c w[c] * (lse - x[c])
// Rows whose target is ignore_index get loss 0. Writes each row's loss and its logsumexp (kept for
// the backward); the caller reduces (mean divides by the sum of w[t] over rows not ignored).
template <typename T>
__global__ void cross_entropy_forward(const T* x, const long long* target, const T* w, T* loss, T* lse_out,
                                      long long cols, long long ignore_index, double eps) {
    const T* row = x + blockIdx.x * cols;
    long long t = target[blockIdx.x];
    T lse = row_logsumexp(row, cols);
    T smooth = 0;
    if (eps != 0) {
        for (long long j = threadIdx.x; j < cols; j += BLOCK) smooth += (w ? w[j] : T(1)) * (lse - row[j]);
        smooth = block_reduce(smooth, false);
    }
    if (threadIdx.x == 0) {
        lse_out[blockIdx.x] = lse;
        if (t == ignore_index) {
            loss[blockIdx.x] = 0;
        } else {
            T nll = (w ? w[t] : T(1)) * (lse - row[t]);
            loss[blockIdx.x] = T(1 - eps) * nll + T(eps / cols) * smooth;
        }
    }
}

// Gradient of the loss above with respect to x, for a per-row incoming gradient g; with p = softmax(x)
// and wsum = sum_c w[c]:
//   gx[c] = g * ((1 - eps) * w[t] * (p[c] - [c == t]) + eps / C * (wsum * p[c] - w[c]))
// Elementwise (one thread per logit), so it uses any launch shape.
template <typename T>
__global__ void cross_entropy_backward(const T* x, const long long* target, const T* w, const T* lse,
                                       const T* g, T* gx, long long rows, long long cols,
                                       long long ignore_index, double eps, double wsum) {
    long long total = rows * cols;
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < total;
         i += (long long)blockDim.x * gridDim.x) {
        long long r = i / cols, c = i % cols, t = target[r];
        if (t == ignore_index) {
            gx[i] = 0;
            continue;
        }
        T p = exp(x[i] - lse[r]);
        T wc = w ? w[c] : T(1);
        T wt = w ? w[t] : T(1);
        T d = T(1 - eps) * wt * (p - (c == t ? T(1) : T(0))) + T(eps / cols) * (T(wsum) * p - wc);
        gx[i] = g[r] * d;
    }
}
