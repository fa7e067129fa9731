// Secrets from the operating system's CSPRNG (OpenSSL RAND_bytes): tokens,
// generated passwords. Never std::rand or a seeded PRNG for anything secret.
#pragma once

#include <cstddef>
#include <string>

namespace kith::core {

// `bytes` random bytes encoded as unpadded base64url. Throws std::runtime_error
// if the CSPRNG fails (it does not on Linux).
std::string random_token(std::size_t bytes);

}  // namespace kith::core
