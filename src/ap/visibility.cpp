// The fetch visibility rule (visibility.hpp).
#include "kith/ap/visibility.hpp"

#include <algorithm>

namespace kith::ap {
namespace {

constexpr db::Visibility kPublicVisibilities[] = {db::Visibility::public_,
                                                  db::Visibility::unlisted};
constexpr db::Visibility kFollowerVisibilities[] = {
    db::Visibility::public_, db::Visibility::unlisted, db::Visibility::private_};

bool mentioned(const db::StatusRecord& status, const FetchSigner& signer) {
  return !signer.actor_uri.empty() &&
         std::any_of(status.mentions.begin(), status.mentions.end(),
                     [&](const db::StatusMention& m) { return m.actor_uri == signer.actor_uri; });
}

}  // namespace

bool may_fetch(const db::StatusRecord& status, const FetchSigner* signer) {
  switch (status.visibility) {
    case db::Visibility::public_:
    case db::Visibility::unlisted:
      return true;
    case db::Visibility::private_:
      return signer != nullptr && (signer->follows_author || mentioned(status, *signer));
    case db::Visibility::direct:
      return signer != nullptr && mentioned(status, *signer);
    case db::Visibility::local:
      return false;  // never federated, whoever asks
  }
  return false;
}

std::span<const db::Visibility> collection_visibilities(const FetchSigner* signer) {
  if (signer != nullptr && signer->follows_author) return kFollowerVisibilities;
  return kPublicVisibilities;
}

bool publicly_cacheable(const FetchSigner* signer) {
  return signer == nullptr;
}

}  // namespace kith::ap
