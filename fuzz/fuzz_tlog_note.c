/*
 * libFuzzer target: the text parsers of src/tlog/ that read signed notes and what surrounds
 * them: C2SP signed notes (then their verification against a fixed key), checkpoint bodies,
 * verifier keys, private key text, tlog-proof bundles and the verifier/witness state file.
 * A note that parses must have its text end in '\n' and lie inside the input.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tlog/audit.h"
#include "tlog/note.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct tlog_note note;
	static struct tlog_proof_text pt;
	static struct tlog_trust trust;
	static const uint8_t seed[32] = { 1 };
	struct tlog_checkpoint cp;
	struct tlog_verifier v;
	struct tlog_signer k;
	const char *s = (const char *)data;

	if (tlog_note_parse(s, size, &note) == TLOG_OK) {
		if (note.text_len == 0 || note.text_len > size || note.text[note.text_len - 1] != '\n')
			abort();
		if (tlog_signer_from_seed("fuzz.example/log", TLOG_KEY_ED25519, seed, &k) ==
		    TLOG_OK) {
			(void)tlog_note_verify(&note, &k.v, 1, NULL, NULL, NULL);
			tlog_signer_cleanup(&k);
		}
		(void)tlog_checkpoint_parse(note.text, note.text_len, &cp);
	}
	(void)tlog_checkpoint_parse(s, size, &cp);
	(void)tlog_verifier_parse(s, size, &v);
	if (tlog_signer_parse(s, size, &k) == TLOG_OK)
		tlog_signer_cleanup(&k);
	if (tlog_proof_parse(s, size, &pt) == TLOG_OK &&
	    (pt.note < s || pt.note + pt.note_len > s + size || pt.n >= TLOG_MAX_PROOF))
		abort();
	(void)tlog_trust_parse(s, size, &trust);
	return 0;
}
