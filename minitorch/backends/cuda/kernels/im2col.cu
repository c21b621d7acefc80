// im2col / col2im: the data movement that turns conv2d into one matrix multiply (NCHW layout).
//
// `cols` has shape (N, C*KH*KW, OH*OW), the layout of torch.nn.functional.unfold: row (c, ki, kj)
// holds, for each output position (oh, ow), the input pixel
//     (c, oh*SH - PH + ki*DH, ow*SW - PW + kj*DW)
// or 0 where that pixel lies in the zero padding. conv2d is then weight(Cout, C*KH*KW) @ cols.
// Every kernel walks its elements with a grid-stride loop, so any grid size covers any tensor.

// im2col: one thread per element of cols; reads the input pixel it stands for (or writes 0).
template <typename T>
__global__ void im2col(const T* x, T* cols, long long N, long long C, long long H, long long W,
                       long long KH, long long KW, long long SH, long long SW, long long PH, long long PW,
                       long long DH, long long DW, long long OH, long long OW) {
    long long total = N * C * KH * KW * OH * OW;
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < total;
         i += (long long)blockDim.x * gridDim.x) {
        long long ow = i % OW, t = i / OW;
        long long oh = t % OH; t /= OH;
        long long kj = t % KW; t /= KW;
        long long ki = t % KH; t /= KH;
        long long c = t % C, n = t / C;
        long long h = oh * SH - PH + ki * DH;
        long long w = ow * SW - PW + kj * DW;
        bool inside = h >= 0 && h < H && w >= 0 && w < W;
        cols[i] = inside ? x[((n * C + c) * H + h) * W + w] : T(0);
    }
}

// col2im (torch's fold), the adjoint of im2col: every input pixel sums the column entries that read
// it. One thread per input pixel gathers them, so no atomics are needed and the result is
// deterministic. Pixel h is read by kernel row ki at output row oh when oh*SH = h + PH - ki*DH.
template <typename T>
__global__ void col2im(const T* cols, T* x, long long N, long long C, long long H, long long W,
                       long long KH, long long KW, long long SH, long long SW, long long PH, long long PW,
                       long long DH, long long DW, long long OH, long long OW) {
    long long total = N * C * H * W;
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < total;
         i += (long long)blockDim.x * gridDim.x) {
        long long w = i % W, t = i / W;
        long long h = t % H; t /= H;
        long long c = t % C, n = t / C;
        T sum = 0;
        for (long long ki = 0; ki < KH; ++ki) {
            long long hs = h + PH - ki * DH;
            if (hs < 0 || hs % SH != 0 || hs / SH >= OH) continue;
            long long oh = hs / SH;
            for (long long kj = 0; kj < KW; ++kj) {
                long long ws = w + PW - kj * DW;
                if (ws < 0 || ws % SW != 0 || ws / SW >= OW) continue;
                long long row = (c * KH + ki) * KW + kj;
                sum += cols[((n * C * KH * KW + row) * OH + oh) * OW + ws / SW];
            }
        }
        x[i] = sum;
    }
}
