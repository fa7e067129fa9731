// kith::media — uploaded images: what kind of file it is, how big, and a copy
// without the metadata that gives away where and when it was taken.
//
// The one idea: everything here is a pure function of untrusted bytes. The
// type comes from the bytes (magic numbers), never from the file name or the
// client's Content-Type; metadata is removed by rewriting the container's
// segments or chunks, never by re-encoding, so the pixels stay exactly as
// uploaded. These functions allocate at most a copy of their input and never
// decode pixels (that is decode.hpp, with the real decoders).
//
// Why magic numbers and not libmagic: kith accepts four formats, each with a
// fixed signature of 3 to 12 bytes (below). libmagic would add a large
// database-driven parser of hostile input to recognise thousands of types we
// refuse anyway; four comparisons cannot be confused and need no fuzzing of
// someone else's rule language.
//
// What stripping keeps and drops:
//   JPEG  keeps APP0 (JFIF/JFXX), APP2 ICC_PROFILE and APP14 Adobe (the
//         colour transform a decoder needs); drops every other APPn (EXIF
//         with GPS, XMP, MPF, maker notes, Photoshop IRB) and COM, and
//         anything after EOI (phones append trailers and motion-photo videos).
//   PNG   drops eXIf, tEXt, zTXt, iTXt and tIME; keeps the rest; nothing
//         after IEND.
//   WebP  drops EXIF and XMP chunks and unknown chunks, clears their VP8X
//         flags, fixes the RIFF size.
//   GIF   drops comment extensions and application extensions other than
//         NETSCAPE2.0 / ANIMEXTS1.0 (looping); nothing after the trailer.
// EXIF orientation: a JPEG's EXIF Orientation tag (the only EXIF field that
// changes how the picture looks) is kept as a minimal EXIF segment holding
// nothing else, and the dimensions reported are those of the picture as
// displayed (width and height swapped for orientations 5 to 8). PNG and WebP
// eXIf orientation is dropped with the rest (rarely written by cameras).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kith::media {

enum class ImageFormat { jpeg, png, gif, webp };

// Signatures:
//   JPEG  FF D8 FF                         (SOI and the next marker's FF)
//   PNG   89 50 4E 47 0D 0A 1A 0A          (PNG spec 5.2)
//   GIF   "GIF87a" or "GIF89a"
//   WebP  "RIFF" <4 bytes> "WEBP"          (RFC 9649 2.4)
// nullopt for anything else.
std::optional<ImageFormat> sniff_format(std::string_view bytes);

std::string_view mime_type(ImageFormat format);  // image/jpeg ...
std::string_view extension(ImageFormat format);  // jpg, png, gif, webp
std::optional<ImageFormat> format_from_extension(std::string_view extension);

// Width and height as displayed (after EXIF orientation for JPEG).
struct Dimensions {
  std::uint32_t width = 0;
  std::uint32_t height = 0;
};

// Reads the dimensions from the headers (JPEG SOFn, PNG IHDR, GIF logical
// screen, WebP VP8X/VP8/VP8L); nullopt when they cannot be found or are 0.
std::optional<Dimensions> read_dimensions(ImageFormat format, std::string_view bytes);

// The EXIF orientation of a JPEG (1 to 8), 1 when absent or unreadable.
int jpeg_orientation(std::string_view bytes);

// A copy of `bytes` without metadata (see above), or nullopt when the
// container is malformed or truncated (no EOI, IEND, trailer; a length
// that runs past the end).
std::optional<std::string> strip_metadata(ImageFormat format, std::string_view bytes);

}  // namespace kith::media
