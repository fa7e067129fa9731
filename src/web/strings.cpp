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
    {"why.title", "Why is this hidden for me?"},
    {"why.sign_in",
     "Sign in to your account on {host} to see why community moderation hides or warns on this "
     "status for you."},
    {"why.submit", "Sign in and explain"},
    {"why.signed_in", "Signed in as {user}."},
    {"why.action.none", "This status is not hidden or marked for you."},
    {"why.action.warn", "This status is shown to you behind a warning."},
    {"why.action.hide", "This status is hidden for you."},
    {"why.reason.none", "Nothing you did and nothing the community did hides it."},
    {"why.reason.own_flag", "You reported this status. What you report is hidden for you at once."},
    {"why.reason.muted_author",
     "You muted or blocked its author, so their statuses are left out of your timelines and "
     "notifications."},
    {"why.reason.predicted",
     "People whose reports usually agree with yours reported statuses like this one, so kith "
     "predicts you would not want to see it."},
    {"why.reason.community",
     "People who usually disagree with each other agreed that this status is a problem. It is "
     "marked for everyone until an admin looks at it."},
    {"why.numbers", "The numbers"},
    {"why.probability",
     "Predicted chance that you would report it: {probability}. Your threshold: {threshold}."},
    {"why.rates",
     "How often things are reported, after averaging: by you {you}, this status {status}, its "
     "author {author}."},
    {"why.preferences",
     "Your choices: sensitivity {sensitivity}; what a prediction does: {action}."},
    {"why.preferences_opt_out",
     "Your choices: you opted out of predictions (your own reports and actions for everyone "
     "still apply)."},
    {"why.preferred.warn", "warn"},
    {"why.preferred.hide", "hide"},
    {"why.community",
     "{flaggers} accounts reported it out of {exposures} who saw it; {negative} and {positive} of "
     "them from the two sides that usually disagree."},
    {"why.never_who", "kith never tells anyone who reported a status."},
    {"why.not_found", "This status does not exist or you may not see it."},
    {"why.unavailable", "Community moderation is not running on this server."},
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
    {"why.title", "Warum ist das für mich ausgeblendet?"},
    {"why.sign_in",
     "Melde dich mit deinem Konto auf {host} an, um zu sehen, warum die Community-Moderation "
     "diesen Beitrag für dich ausblendet oder mit einer Warnung versieht."},
    {"why.submit", "Anmelden und erklären"},
    {"why.signed_in", "Angemeldet als {user}."},
    {"why.action.none", "Dieser Beitrag ist für dich weder ausgeblendet noch markiert."},
    {"why.action.warn", "Dieser Beitrag wird dir hinter einer Warnung gezeigt."},
    {"why.action.hide", "Dieser Beitrag ist für dich ausgeblendet."},
    {"why.reason.none", "Weder du noch die Community haben etwas getan, das ihn ausblendet."},
    {"why.reason.own_flag",
     "Du hast diesen Beitrag gemeldet. Was du meldest, wird für dich sofort ausgeblendet."},
    {"why.reason.muted_author",
     "Du hast die Person, die ihn geschrieben hat, stummgeschaltet oder blockiert."},
    {"why.reason.predicted",
     "Menschen, deren Meldungen meist mit deinen übereinstimmen, haben ähnliche Beiträge gemeldet; "
     "kith sagt daher voraus, dass du ihn nicht sehen möchtest."},
    {"why.reason.community",
     "Menschen, die sonst meist uneins sind, waren sich einig, dass dieser Beitrag ein Problem "
     "ist. "
     "Er ist für alle markiert, bis eine Administratorin oder ein Administrator ihn prüft."},
    {"why.numbers", "Die Zahlen"},
    {"why.probability",
     "Vorhergesagte Wahrscheinlichkeit, dass du ihn meldest: {probability}. Deine Schwelle: "
     "{threshold}."},
    {"why.rates",
     "Wie oft gemeldet wird, gemittelt: von dir {you}, dieser Beitrag {status}, die Person, die "
     "ihn geschrieben hat, {author}."},
    {"why.preferences",
     "Deine Einstellungen: Empfindlichkeit {sensitivity}; was eine Vorhersage bewirkt: {action}."},
    {"why.preferences_opt_out",
     "Deine Einstellungen: Vorhersagen abgeschaltet (deine eigenen Meldungen und Maßnahmen für "
     "alle gelten weiter)."},
    {"why.preferred.warn", "warnen"},
    {"why.preferred.hide", "ausblenden"},
    {"why.community",
     "{flaggers} Konten haben ihn gemeldet, von {exposures}, die ihn gesehen haben; {negative} und "
     "{positive} davon von den beiden Seiten, die sonst meist uneins sind."},
    {"why.never_who", "kith verrät niemandem, wer einen Beitrag gemeldet hat."},
    {"why.not_found", "Diesen Beitrag gibt es nicht, oder du darfst ihn nicht sehen."},
    {"why.unavailable", "Die Community-Moderation läuft auf diesem Server nicht."},
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
    {"why.title", "Pourquoi est-ce masqué pour moi ?"},
    {"why.sign_in",
     "Connectez-vous à votre compte sur {host} pour savoir pourquoi la modération communautaire "
     "masque ce message ou l’accompagne d’un avertissement pour vous."},
    {"why.submit", "Se connecter et expliquer"},
    {"why.signed_in", "Connecté·e en tant que {user}."},
    {"why.action.none", "Ce message n’est ni masqué ni signalé pour vous."},
    {"why.action.warn", "Ce message vous est montré derrière un avertissement."},
    {"why.action.hide", "Ce message est masqué pour vous."},
    {"why.reason.none", "Rien de ce que vous ou la communauté avez fait ne le masque."},
    {"why.reason.own_flag",
     "Vous avez signalé ce message. Ce que vous signalez est masqué pour vous immédiatement."},
    {"why.reason.muted_author", "Vous avez masqué ou bloqué son auteur·ice."},
    {"why.reason.predicted",
     "Des personnes dont les signalements rejoignent souvent les vôtres ont signalé des messages "
     "semblables : kith prévoit que vous ne voudriez pas le voir."},
    {"why.reason.community",
     "Des personnes habituellement en désaccord se sont accordées sur le fait que ce message pose "
     "problème. Il est signalé pour tout le monde jusqu’à ce qu’un·e admin l’examine."},
    {"why.numbers", "Les chiffres"},
    {"why.probability",
     "Probabilité prévue que vous le signaliez : {probability}. Votre seuil : {threshold}."},
    {"why.rates",
     "Fréquence des signalements, moyennée : par vous {you}, ce message {status}, son auteur·ice "
     "{author}."},
    {"why.preferences",
     "Vos choix : sensibilité {sensitivity} ; effet d’une prédiction : {action}."},
    {"why.preferences_opt_out",
     "Vos choix : prédictions désactivées (vos propres signalements et les mesures pour tout le "
     "monde s’appliquent toujours)."},
    {"why.preferred.warn", "avertir"},
    {"why.preferred.hide", "masquer"},
    {"why.community",
     "{flaggers} comptes l’ont signalé sur {exposures} qui l’ont vu ; {negative} et {positive} "
     "d’entre eux des deux côtés habituellement en désaccord."},
    {"why.never_who", "kith ne dit jamais à personne qui a signalé un message."},
    {"why.not_found", "Ce message n’existe pas ou vous ne pouvez pas le voir."},
    {"why.unavailable", "La modération communautaire ne fonctionne pas sur ce serveur."},
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
