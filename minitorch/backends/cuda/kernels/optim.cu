// Fused optimizer updates: one pass over a parameter instead of one kernel per arithmetic step.
// Each thread updates one element (grid-stride loop). Hyper-parameters arrive as double and the
// maths runs in the parameter's type, following the formulas of torch.optim's documentation.

// torch.lerp's formula: start + weight * (end - start), taken from the end for weight >= 0.5.
template <typename T>
__device__ T lerp(T start, T end, T weight) {
    return weight < T(0.5) ? start + weight * (end - start) : end - (end - start) * (T(1) - weight);
}

// SGD with momentum (torch.optim.SGD), in place on p and buf:
//   g = ±grad + weight_decay * p
//   buf = g on the first step, else momentum * buf + (1 - dampening) * g
//   g = g + momentum * buf (nesterov) or buf;   p -= lr * g
// buf may be nullptr when momentum == 0.
template <typename T>
__global__ void sgd_step(T* p, const T* grad, T* buf, long long n, double lr, double momentum,
                         double dampening, double weight_decay, int nesterov, int maximize, int first_step) {
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n;
         i += (long long)blockDim.x * gridDim.x) {
        T g = maximize ? -grad[i] : grad[i];
        if (weight_decay != 0) g += T(weight_decay) * p[i];
        if (momentum != 0) {
            T b = first_step ? g : T(momentum) * buf[i] + T(1 - dampening) * g;
            buf[i] = b;
            g = nesterov ? g + T(momentum) * b : b;
        }
        p[i] -= T(lr) * g;
    }
}

// Adam / AdamW (torch.optim.Adam, torch.optim.AdamW), in place on p, m, v (and vmax):
//   g = ±grad (+ weight_decay * p for Adam;  p *= 1 - lr * weight_decay for AdamW, decoupled)
//   m = lerp(m, g, 1 - beta1);   v = beta2 * v + (1 - beta2) * g * g
//   vmax = max(vmax, v) with amsgrad (vmax != nullptr), and v := vmax below
//   p -= step_size * m / (sqrt(v) / bias_correction2_sqrt + eps)
// with step_size = lr / (1 - beta1^step) and bias_correction2_sqrt = sqrt(1 - beta2^step).
template <typename T>
__global__ void adam_step(T* p, const T* grad, T* m, T* v, T* vmax, long long n, double lr, double beta1,
                          double beta2, double eps, double weight_decay, int decoupled, int maximize,
                          double step_size, double bias_correction2_sqrt) {
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n;
         i += (long long)blockDim.x * gridDim.x) {
        T g = maximize ? -grad[i] : grad[i];
        T pi = p[i];
        if (weight_decay != 0) {
            if (decoupled) pi *= T(1 - lr * weight_decay);
            else g += T(weight_decay) * pi;
        }
        T mi = lerp(m[i], g, T(1 - beta1));
        T vi = T(beta2) * v[i] + T(1 - beta2) * g * g;
        m[i] = mi;
        v[i] = vi;
        if (vmax) {
            vi = max(vmax[i], vi);
            vmax[i] = vi;
        }
        T denom = sqrt(vi) / T(bias_correction2_sqrt) + T(eps);
        p[i] = pi - T(step_size) * mi / denom;
    }
}
