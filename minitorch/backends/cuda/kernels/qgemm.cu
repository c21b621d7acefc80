// Exact integer matrix product for the quantized layers (linear, and conv2d after im2col):
//   c[m, n] = sum_k (a[m, k] - a_zero) * (b[n, k] - b_zero[n])
// a: activations, row-major (M, K): unsigned char for quint8, signed char for qint8, one zero point;
// b: int8 weights, row-major (N, K), one zero point per row (per output channel; all equal per tensor);
// c: int32 result, row-major (M, N). Every product fits in 17 bits and the sum is kept in int32, as the
// int32 accumulation of fbgemm's kernels does.
//
// One block of 256 threads computes a TILE x TILE tile of c (launch one block per tile, tiles numbered
// row by row: tile t covers rows (t / tiles_n) * TILE ... and columns (t % tiles_n) * TILE ...). The
// block stages TILE-wide slices of a and b in shared memory, with the zero points already subtracted.

constexpr int TILE = 16;

template <typename TA>
__global__ void qgemm(const TA* a, const signed char* b, int* c, long long M, long long N, long long K,
                      int a_zero, const int* b_zero) {
    __shared__ int a_tile[TILE][TILE + 1];  // +1: no shared-memory bank conflicts on the column reads
    __shared__ int b_tile[TILE][TILE + 1];
    long long tiles_n = (N + TILE - 1) / TILE;
    long long row0 = (blockIdx.x / tiles_n) * TILE, col0 = (blockIdx.x % tiles_n) * TILE;
    int ty = threadIdx.x / TILE, tx = threadIdx.x % TILE;
    long long m = row0 + ty, n = col0 + tx;
    long long b_row = col0 + ty;  // the row of b this thread stages
    int acc = 0;
    for (long long k0 = 0; k0 < K; k0 += TILE) {
        long long k = k0 + tx;
        a_tile[ty][tx] = (m < M && k < K) ? int(a[m * K + k]) - a_zero : 0;
        b_tile[ty][tx] = (b_row < N && k < K) ? int(b[b_row * K + k]) - b_zero[b_row] : 0;
        __syncthreads();
        for (int j = 0; j < TILE; ++j) acc += a_tile[ty][j] * b_tile[tx][j];
        __syncthreads();
    }
    if (m < M && n < N) c[m * N + n] = acc;
}
