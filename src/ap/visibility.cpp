// The fetch visibility rule (visibility.hpp).
#include "kith/ap/visibility.hpp"

namespace kith::ap {
namespace {

constexpr db::Visibility kPublicVisibilities[] = {db::Visibility::public_,
                                                  db::Visibility::unlisted};

}  // namespace

bool may_fetch(const db::StatusRecord& status, const FetchSigner* signer) {
  switch (status.visibility) {
    case db::Visibility::public_:
    case db::Visibility::unlisted:
      return true;
    case db::Visibility::private_:
    case db::Visibility::direct:
      // The signer check plugs in here, with signed-fetch verification (the
      // inbox work): allow when `signer` follows the author (private) or is
      // among the status's mentioned accounts (private and direct). Until
      // then no signer is ever passed, and these are refused.
      (void)signer;
      return false;
    case db::Visibility::local:
      return false;  // never federated, whoever asks
  }
  return false;
}

std::span<const db::Visibility> collection_visibilities(const FetchSigner* signer) {
  // With signed fetches, a signer who follows the author may also be shown
  // private statuses here; direct ones stay out of collections (Mastodon
  // lists them to addressees; kith leaves them to the status URL).
  (void)signer;
  return kPublicVisibilities;
}

bool publicly_cacheable(const FetchSigner* signer) {
  return signer == nullptr;
}

}  // namespace kith::ap
