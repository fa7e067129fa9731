// The words of the web pages, one table per language (pages.hpp). English
// is complete; another language may leave out any key, and the English
// word is used for it. To add a language, add a table and list it in
// kLanguages.
#include <algorithm>
#include <cctype>
#include <map>
#include <string>

#include "pages.hpp"

namespace kith::web {
namespace {

using Table = std::map<std::string_view, std::string_view>;

const Table kEnglish = {
    {"sign_in.title", "Sign in"},
    {"sign_in.intro", "{app} wants to use your account on {host}. Sign in to continue."},
    {"sign_in.login", "Username or e-mail address"},
    {"sign_in.password", "Password"},
    {"sign_in.submit", "Sign in"},
    {"sign_in.wrong", "The username, e-mail address or password is wrong."},
    {"sign_in.missing", "Enter your username or e-mail address and your password."},
    {"consent.title", "Authorize {app}?"},
    {"consent.signed_in_as", "You are signed in as"},
    {"consent.asks", "{app} asks for permission to:"},
    {"consent.website", "Website of the application"},
    {"consent.return_to", "After your choice you go back to:"},
    {"consent.approve", "Authorize"},
    {"consent.deny", "Deny"},
    {"consent.denied", "You denied the application access. You can close this page."},
    {"code.title", "Authorization code"},
    {"code.intro", "Copy this code and paste it into {app}. It is valid for 10 minutes."},
    {"error.title", "This sign-in link does not work"},
    {"error.unknown_client", "The application is not known to this server."},
    {"error.redirect_uri",
     "The application gave an address to return to that it did not register. For your safety "
     "you are not sent there."},
    {"error.invalid_request", "The request is malformed: a parameter is missing or wrong."},
    {"error.expired",
     "This form has expired or was opened in another browser. Go back to the application and "
     "start again."},
    {"error.cookies",
     "This page needs a cookie to protect your sign-in. Allow cookies for this site and start "
     "again from the application."},
    {"error.account", "This account cannot sign in."},
    {"throttled.title", "Too many attempts"},
    {"throttled.text",
     "There were too many failed sign-in attempts. Wait {minutes} minutes, then try again."},
    {"scope.read", "read all your account's data"},
    {"scope.write", "change all your account's data"},
    {"scope.follow", "follow, block and mute accounts, and see whom you follow, block and mute"},
    {"scope.push", "receive push notifications"},
    {"scope.profile", "read your profile (only who you are)"},
    {"scope.admin:read", "read all data on the server (administration)"},
    {"scope.admin:write", "change all data on the server (administration)"},
    {"scope.read:accounts", "see accounts' information"},
    {"scope.read:blocks", "see your blocks"},
    {"scope.read:bookmarks", "see your bookmarks"},
    {"scope.read:favourites", "see your favourites"},
    {"scope.read:filters", "see your filters"},
    {"scope.read:follows", "see whom you follow"},
    {"scope.read:lists", "see your lists"},
    {"scope.read:mutes", "see your mutes"},
    {"scope.read:notifications", "see your notifications"},
    {"scope.read:search", "search on your behalf"},
    {"scope.read:statuses", "see all posts"},
    {"scope.write:accounts", "change your profile"},
    {"scope.write:blocks", "block accounts and domains"},
    {"scope.write:bookmarks", "bookmark posts"},
    {"scope.write:conversations", "mute and delete conversations"},
    {"scope.write:favourites", "favourite posts"},
    {"scope.write:filters", "create filters"},
    {"scope.write:follows", "follow people"},
    {"scope.write:lists", "create lists"},
    {"scope.write:media", "upload media files"},
    {"scope.write:mutes", "mute people and conversations"},
    {"scope.write:notifications", "clear your notifications"},
    {"scope.write:reports", "report other people"},
    {"scope.write:statuses", "publish posts"},
    {"scope.admin:read:accounts", "read sensitive information of all accounts"},
    {"scope.admin:read:reports", "read sensitive information of all reports"},
    {"scope.admin:read:domain_allows", "read the server's allowed domains"},
    {"scope.admin:read:domain_blocks", "read the server's blocked domains"},
    {"scope.admin:read:ip_blocks", "read the server's blocked IP addresses"},
    {"scope.admin:read:email_domain_blocks", "read the server's blocked e-mail domains"},
    {"scope.admin:read:canonical_email_blocks", "read the server's blocked e-mail addresses"},
    {"scope.admin:write:accounts", "perform moderation actions on accounts"},
    {"scope.admin:write:reports", "perform moderation actions on reports"},
    {"scope.admin:write:domain_allows", "change the server's allowed domains"},
    {"scope.admin:write:domain_blocks", "change the server's blocked domains"},
    {"scope.admin:write:ip_blocks", "change the server's blocked IP addresses"},
    {"scope.admin:write:email_domain_blocks", "change the server's blocked e-mail domains"},
    {"scope.admin:write:canonical_email_blocks", "change the server's blocked e-mail addresses"},
};

const Table kGerman = {
    {"sign_in.title", "Anmelden"},
    {"sign_in.intro",
     "{app} möchte dein Konto auf {host} verwenden. Melde dich an, um fortzufahren."},
    {"sign_in.login", "Benutzername oder E-Mail-Adresse"},
    {"sign_in.password", "Passwort"},
    {"sign_in.submit", "Anmelden"},
    {"sign_in.wrong", "Benutzername, E-Mail-Adresse oder Passwort ist falsch."},
    {"sign_in.missing",
     "Gib deinen Benutzernamen oder deine E-Mail-Adresse und dein Passwort ein."},
    {"consent.title", "{app} autorisieren?"},
    {"consent.signed_in_as", "Du bist angemeldet als"},
    {"consent.asks", "{app} bittet um die Erlaubnis:"},
    {"consent.website", "Website der Anwendung"},
    {"consent.return_to", "Nach deiner Wahl geht es zurück zu:"},
    {"consent.approve", "Autorisieren"},
    {"consent.deny", "Ablehnen"},
    {"code.title", "Autorisierungscode"},
    {"code.intro", "Kopiere diesen Code und füge ihn in {app} ein. Er ist 10 Minuten gültig."},
    {"error.title", "Dieser Anmeldelink funktioniert nicht"},
    {"throttled.title", "Zu viele Versuche"},
    {"throttled.text",
     "Es gab zu viele fehlgeschlagene Anmeldeversuche. Warte {minutes} Minuten und versuche es "
     "dann erneut."},
    {"scope.read", "alle Daten deines Kontos lesen"},
    {"scope.write", "alle Daten deines Kontos ändern"},
    {"scope.follow", "Konten folgen, sie blockieren und stummschalten"},
    {"scope.push", "Push-Benachrichtigungen empfangen"},
    {"scope.profile", "dein Profil lesen (nur, wer du bist)"},
};

const Table kFrench = {
    {"sign_in.title", "Se connecter"},
    {"sign_in.intro",
     "{app} souhaite utiliser votre compte sur {host}. Connectez-vous pour continuer."},
    {"sign_in.login", "Nom d’utilisateur ou adresse e-mail"},
    {"sign_in.password", "Mot de passe"},
    {"sign_in.submit", "Se connecter"},
    {"sign_in.wrong", "Le nom d’utilisateur, l’adresse e-mail ou le mot de passe est incorrect."},
    {"sign_in.missing",
     "Saisissez votre nom d’utilisateur ou votre adresse e-mail et votre mot de passe."},
    {"consent.title", "Autoriser {app} ?"},
    {"consent.signed_in_as", "Vous êtes connecté·e en tant que"},
    {"consent.asks", "{app} demande l’autorisation de :"},
    {"consent.website", "Site web de l’application"},
    {"consent.return_to", "Après votre choix, vous retournez à :"},
    {"consent.approve", "Autoriser"},
    {"consent.deny", "Refuser"},
    {"code.title", "Code d’autorisation"},
    {"code.intro", "Copiez ce code et collez-le dans {app}. Il est valable 10 minutes."},
    {"error.title", "Ce lien de connexion ne fonctionne pas"},
    {"throttled.title", "Trop de tentatives"},
    {"throttled.text",
     "Il y a eu trop de tentatives de connexion échouées. Attendez {minutes} minutes puis "
     "réessayez."},
    {"scope.read", "lire toutes les données de votre compte"},
    {"scope.write", "modifier toutes les données de votre compte"},
    {"scope.follow", "suivre, bloquer et masquer des comptes"},
    {"scope.push", "recevoir des notifications push"},
    {"scope.profile", "lire votre profil (seulement qui vous êtes)"},
};

struct Language {
  std::string_view code;
  const Table* table;
};
const Language kLanguages[] = {{"en", &kEnglish}, {"de", &kGerman}, {"fr", &kFrench}};

}  // namespace

std::string page_language(std::string_view lang) {
  // A BCP 47 tag's primary subtag: "de-AT" -> "de".
  std::string primary;
  for (char c : lang) {
    if (c == '-' || c == '_' || primary.size() > 8) break;
    primary += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  for (const Language& language : kLanguages)
    if (language.code == primary) return primary;
  return "en";
}

std::string_view text(std::string_view language, std::string_view key) {
  for (const Language& l : kLanguages) {
    if (l.code != language) continue;
    if (auto it = l.table->find(key); it != l.table->end()) return it->second;
  }
  if (auto it = kEnglish.find(key); it != kEnglish.end()) return it->second;
  return key;  // a missing English word is a bug; show the key rather than nothing
}

}  // namespace kith::web
