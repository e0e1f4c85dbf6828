// libtorch_vae: the VAE of ../shared/bench/torch_vae.py in LibTorch C++ (no interpreter),
// timed the way `torch_vae.py --bench-steps` times it. Built and run by
// benchmarks/compare_speed.sh (not by vtape's CMake build, so CI needs no libtorch).
//
// Same model, data and step as torch_vae.py: 784-512-256, latent 32, relu hidden layers,
// linear outputs; encoder output [mu, log sigma]; z = mu + exp(log sigma) eps; Bernoulli
// decoder (BCE with logits, summed); analytic KL; loss = (rec + kl) / B; torch::nn::Linear
// default init (the same U(+-1/sqrt(fan_in)) as Python's nn.Linear); Adam lr 1e-3;
// dynamic binarization (torch::bernoulli of the [0, 1] batch every step); a random
// permutation of the 60000 training images, full batches only.
//
//   libtorch_vae [--batch B] [--threads T] [--bench-steps N] [--bench-warmup W]
//                [--bench-repeats R] [--flush-denormal] [--seed S] [--data-dir D] [--json F]
// Set OMP_NUM_THREADS / OPENBLAS_NUM_THREADS / OMP_WAIT_POLICY=PASSIVE in the environment
// (as torch_vae.py does before torch loads); compare_speed.sh does.
#include <torch/torch.h>
#include <zlib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

static std::vector<uint8_t> read_gz(const std::string &path) {
    gzFile f = gzopen(path.c_str(), "rb");
    if (!f) throw std::runtime_error("cannot open " + path);
    std::vector<uint8_t> out;
    uint8_t buf[1 << 16];
    int n;
    while ((n = gzread(f, buf, sizeof buf)) > 0) out.insert(out.end(), buf, buf + n);
    gzclose(f);
    return out;
}

// The training images as floats in [0, 1], 60000 x 784.
static torch::Tensor load_images(const std::string &dir) {
    auto raw = read_gz(dir + "/train-images-idx3-ubyte.gz");
    int64_t n = (int64_t)raw[4] << 24 | raw[5] << 16 | raw[6] << 8 | raw[7];
    auto t = torch::from_blob(raw.data() + 16, {n, 784}, torch::kUInt8).clone();
    return t.to(torch::kFloat32) / 255.0;
}

struct VAEImpl : torch::nn::Module {
    torch::nn::Linear e1{784, 512}, e2{512, 256}, eo{256, 64};
    torch::nn::Linear d1{32, 256}, d2{256, 512}, dout{512, 784};
    VAEImpl() {
        register_module("e1", e1), register_module("e2", e2), register_module("eo", eo);
        register_module("d1", d1), register_module("d2", d2), register_module("dout", dout);
    }
    // Sum over the batch of the reconstruction term and of the KL term.
    std::pair<torch::Tensor, torch::Tensor> loss_sums(const torch::Tensor &x) {
        auto o = eo(torch::relu(e2(torch::relu(e1(x)))));
        auto mu = o.narrow(1, 0, 32), logsig = o.narrow(1, 32, 32);
        auto z = mu + torch::exp(logsig) * torch::randn_like(mu);
        auto logits = dout(torch::relu(d2(torch::relu(d1(z)))));
        auto rec = torch::binary_cross_entropy_with_logits(logits, x, {}, {},
                                                           at::Reduction::Sum);
        auto kl = (0.5 * (mu * mu + torch::exp(2.0 * logsig) - 1.0) - logsig).sum();
        return {rec, kl};
    }
};
TORCH_MODULE(VAE);

int main(int argc, char **argv) {
    int batch = 128, threads = 1, steps = 100, warmup = 30, repeats = 5, seed = 0;
    bool ftz = false;
    std::string dir = "/usr/share/datasets/fashion-mnist", json;
    for (int i = 1; i < argc; i++) {
        std::string a = argv[i];
        auto val = [&]() { return std::string(i + 1 < argc ? argv[++i] : ""); };
        if (a == "--batch") batch = std::stoi(val());
        else if (a == "--threads") threads = std::stoi(val());
        else if (a == "--bench-steps") steps = std::stoi(val());
        else if (a == "--bench-warmup") warmup = std::stoi(val());
        else if (a == "--bench-repeats") repeats = std::stoi(val());
        else if (a == "--seed") seed = std::stoi(val());
        else if (a == "--data-dir") dir = val();
        else if (a == "--json") json = val();
        else if (a == "--flush-denormal") ftz = true;
        else {
            std::fprintf(stderr, "libtorch_vae: unknown option %s\n", a.c_str());
            return 2;
        }
    }
    if (ftz) at::globalContext().setFlushDenormal(true);
    torch::set_num_threads(threads);
    torch::manual_seed(seed);
    auto xtr = load_images(dir);
    VAE model;
    torch::optim::Adam opt(model->parameters(), torch::optim::AdamOptions(1e-3));

    const int64_t N = xtr.size(0), nb = N / batch;
    auto perm = torch::randperm(N, torch::TensorOptions().dtype(torch::kLong));
    int64_t s = 0;
    auto next_batch = [&]() {
        auto idx = perm.narrow(0, (s++ % nb) * batch, batch);
        return xtr.index_select(0, idx);
    };
    auto step = [&](const torch::Tensor &xb) {
        auto x = torch::bernoulli(xb);
        auto [rec, kl] = model->loss_sums(x);
        auto loss = (rec + kl) / batch;
        opt.zero_grad();   // set_to_none in 1.13's C++ API is false; zeroing is cheap here
        loss.backward();
        opt.step();
    };
    for (int i = 0; i < warmup; i++) step(next_batch());
    std::vector<double> rates;
    for (int r = 0; r < repeats; r++) {
        std::vector<torch::Tensor> batches;
        for (int i = 0; i < steps; i++) batches.push_back(next_batch());
        auto t0 = std::chrono::steady_clock::now();
        for (auto &xb : batches) step(xb);
        double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        rates.push_back(steps / dt);
    }
    std::sort(rates.begin(), rates.end());
    double med = rates[rates.size() / 2], best = rates.back();
    std::printf("BENCH libtorch %s batch=%d threads=%d steps=%dx%d images/s=%.0f (best %.0f) "
                "ms/step=%.3f\n", TORCH_VERSION, batch, threads, steps, repeats, med * batch,
                best * batch, 1e3 / med);
    if (!json.empty()) {
        FILE *f = std::fopen(json.c_str(), "w");
        if (!f) return 1;
        std::fprintf(f, "{\"info\": {\"impl\": \"libtorch\", \"version\": \"%s\", \"threads\": %d, "
                        "\"flush_denormal\": %s},\n \"bench\": {\"images_per_s_median\": %.1f, "
                        "\"images_per_s_best\": %.1f, \"ms_per_step_median\": %.4f}}\n",
                     TORCH_VERSION, threads, ftz ? "true" : "false", med * batch, best * batch,
                     1e3 / med);
        std::fclose(f);
    }
    return 0;
}
