// 2-d max pooling over NCHW tensors, viewed as P = N*C planes of H x W pixels.
// Window (oh, ow) covers rows oh*SH - PH + ki*DH and columns ow*SW - PW + kj*DW (ki < KH, kj < KW);
// padded positions never win. `indices` holds, like torch's return_indices, the flat position h*W + w
// of the winner inside its plane.

// Forward: one thread per output element scans its window. Ties keep the first maximum; a NaN
// wins over any number (torch propagates NaN), and a later NaN replaces an earlier one, as torch does.
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
        long long best_at = -1;
        T best = 0;
        for (long long ki = 0; ki < KH; ++ki) {
            long long h = h0 + ki * DH;
            if (h < 0 || h >= H) continue;
            for (long long kj = 0; kj < KW; ++kj) {
                long long w = w0 + kj * DW;
                if (w < 0 || w >= W) continue;
                T v = plane[h * W + w];
                if (best_at < 0 || v > best || v != v) {  // v != v: v is NaN
                    best = v;
                    best_at = h * W + w;
                }
            }
        }
        y[i] = best;
        indices[i] = best_at;
    }
}

// Backward: every output element adds its gradient to the input pixel that won its window.
// Windows may overlap (stride < kernel), so several outputs can hit one pixel: atomicAdd.
// `grad_input` must be zero-filled before the launch.
template <typename T>
__global__ void max_pool2d_backward(const T* grad_output, const long long* indices, T* grad_input,
                                    long long P, long long plane_in, long long plane_out) {
    long long total = P * plane_out;
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < total;
         i += (long long)blockDim.x * gridDim.x) {
        long long p = i / plane_out;
        atomicAdd(grad_input + p * plane_in + indices[i], grad_output[i]);
    }
}
