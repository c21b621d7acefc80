// 2-d max pooling over NCHW tensors, viewed as P = N*C planes of H x W pixels.
// Window (oh, ow) covers rows oh*SH - PH + ki*DH and columns ow*SW - PW + kj*DW (ki < KH, kj < KW);
// padded positions never win. `indices` holds, like torch's return_indices, the flat position h*W + w
// of the winner inside its plane.

// Forward: one thread per output element scans its window, as torch does: the maximum starts at -inf
// at the window's first row and column that are not above or left of the input; a larger value or a
// NaN takes over, so ties keep the first maximum and a later NaN replaces an earlier one. A window made
// only of padding (possible with dilation) keeps -inf and that start position, which may lie outside
// the plane: the backward skips it.
template <typename T>
__global__ void max_pool2d_forward(const T* x, T* y, long long* indices, long long P, long long H,
                                   long long W, long long OH, long long OW, long long KH, long long KW,
                                   long long SH, long long SW, long long PH, long long PW, long long DH,
                                   long long DW) {
    long long total = P * OH * OW;
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < total;
         i += (long long)blockDim.x * gridDim.x) {
        long long ow = i % OW, t = i / OW;
        long long oh = t % OH, p = t / OH;
        const T* plane = x + p * H * W;
        long long h0 = oh * SH - PH, w0 = ow * SW - PW;
        long long first_h = h0, first_w = w0;
        while (first_h < 0) first_h += DH;
        while (first_w < 0) first_w += DW;
        long long best_at = first_h * W + first_w;
        T best = T(__longlong_as_double(0xfff0000000000000ULL));  // -inf
        for (long long ki = 0; ki < KH; ++ki) {
            long long h = h0 + ki * DH;
            if (h < 0 || h >= H) continue;
            for (long long kj = 0; kj < KW; ++kj) {
                long long w = w0 + kj * DW;
                if (w < 0 || w >= W) continue;
                T v = plane[h * W + w];
                if (v > best || v != v) {  // v != v: v is NaN
                    best = v;
                    best_at = h * W + w;
                }
            }
        }
        y[i] = best;
        indices[i] = best_at;
    }
}

// Backward: every output element adds its gradient to the input pixel that won its window (none for a
// window of padding only). Windows may overlap (stride < kernel), so several outputs can hit one pixel:
// atomicAdd.
// `grad_input` must be zero-filled before the launch.
template <typename T>
__global__ void max_pool2d_backward(const T* grad_output, const long long* indices, T* grad_input,
                                    long long P, long long plane_in, long long plane_out) {
    long long total = P * plane_out;
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < total;
         i += (long long)blockDim.x * gridDim.x) {
        long long at = indices[i];
        if (at >= 0 && at < plane_in) atomicAdd(grad_input + i / plane_out * plane_in + at, grad_output[i]);
    }
}
