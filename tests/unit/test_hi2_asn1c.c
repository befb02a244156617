/*
 * Conformance of our HI2/HI3 encoder against decoders nobody on the team wrote:
 *   - the asn1c-generated decoder built by scripts/build-asn1dec.sh from asn1/ (cached in
 *     $OVERT_BUILD/asn1dec): every kind of PDU we encode must decode, with constraints checked
 *     (-c), and the field values are checked in its XER output, not just its exit status;
 *   - dumpasn1 -z: generic BER structure and length checks, "0 warnings, 0 errors".
 * Negative controls show the oracle can fail: the research team's bad vectors and a PDU we
 * corrupt on purpose are refused.
 * Needs asn1c and dumpasn1 (scripts/deps.sh); the first run builds the decoder (3-15 s).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "hi2/hi2.h"

static char tmpdir[512];
static char dec[512];
static char *out;		/* output of the last command, whitespace removed */
#define OUTCAP (1 << 20)

static const uint8_t CORR[] = {0xc0, 0x00, 0x02, 0x01, 0x00, 0x00, 0x30, 0x39};
static const uint8_t APN[] = {8, 'i', 'n', 't', 'e', 'r', 'n', 'e', 't'};
static const uint8_t PAA[] = {0x01, 100, 64, 0, 5};
static const uint8_t ULI[] = {0x18, 0x00, 0xf1, 0x10, 0x00, 0x01, 0x00, 0xf1, 0x10,
			      0x00, 0x00, 0x10, 0x10};
static const uint8_t OLD_ULI[] = {0x08, 0x00, 0xf1, 0x10, 0x00, 0x02};
static const uint8_t QOS[] = {0x48, 0x09, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
			      0, 0, 0};
static const uint8_t AMBR[] = {0, 0, 0x27, 0x10, 0, 0, 0x4e, 0x20};

static struct hi2_bytes
bytes(const void *p, size_t n)
{
	struct hi2_bytes b = {p, n};
	return b;
}

static int
setup(void **state)
{
	const char *src = getenv("OVERT_SRC"), *build = getenv("OVERT_BUILD");
	char cmd[1200];

	if (src == NULL || build == NULL)
		fail_msg("OVERT_SRC and OVERT_BUILD must be set (ctest does)");
	snprintf(dec, sizeof(dec), "%s/asn1dec/progname", build);
	snprintf(cmd, sizeof(cmd), "bash '%s/scripts/build-asn1dec.sh' '%s/asn1dec'", src, build);
	if (system(cmd) != 0)
		fail_msg("building the asn1c decoder failed: %s", cmd);
	snprintf(tmpdir, sizeof(tmpdir), "%s/hi2-asn1c-XXXXXX", build);
	if (mkdtemp(tmpdir) == NULL)
		fail_msg("mkdtemp %s failed", tmpdir);
	out = malloc(OUTCAP);
	assert_non_null(out);
	return 0;
}

static int
teardown(void **state)
{
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	free(out);
	return system(cmd) == 0 ? 0 : -1;
}

/* Runs cmd (stdout and stderr captured into out, whitespace dropped); returns the exit code. */
static int
run(const char *cmd)
{
	char full[1400];
	snprintf(full, sizeof(full), "%s 2>&1", cmd);
	FILE *p = popen(full, "r");
	assert_non_null(p);
	size_t n = 0;
	int ch;
	while ((ch = fgetc(p)) != EOF)
		if (ch != ' ' && ch != '\n' && ch != '\t' && ch != '\r' && n + 1 < OUTCAP)
			out[n++] = (char)ch;
	out[n] = '\0';
	int st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* expect appears in the last output (whitespace in expect is ignored too). */
static void
expect_has(const char *expect)
{
	char want[512];
	size_t n = 0;
	for (const char *s = expect; *s && n + 1 < sizeof(want); s++)
		if (*s != ' ' && *s != '\n')
			want[n++] = *s;
	want[n] = '\0';
	if (strstr(out, want) == NULL)
		fail_msg("expected %s in decoder output:\n%.2000s", expect, out);
}

static void
write_file(const char *name, const uint8_t *p, size_t n, char *path, size_t cap)
{
	snprintf(path, cap, "%s/%s", tmpdir, name);
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(p, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

/* asn1c -c decodes it as pdu (NULL: PS-PDU) and dumpasn1 -z finds nothing to say.
 * dumpasn1 is skipped for PDUs with lengths of 0xFF80..0xFFFF: it reports their (minimal,
 * X.690 8.1.3.5) two-octet form as "non-canonical", a heuristic for sign-extended lengths. */
static void
check_both(const char *name, const uint8_t *p, size_t n, const char *pdu)
{
	char path[600], cmd[1300];

	write_file(name, p, n, path, sizeof(path));
	if (n < 0xff80) {
		snprintf(cmd, sizeof(cmd), "dumpasn1 -z '%s'", path);
		assert_int_equal(run(cmd), 0);
		expect_has("0 warnings, 0 errors.");
	}
	snprintf(cmd, sizeof(cmd), "'%s' %s%s -iber -oxer -c '%s'", dec, pdu ? "-p " : "",
		 pdu ? pdu : "", path);
	int rc = run(cmd);
	if (rc != 0)
		fail_msg("asn1c decoder refused %s (rc %d): %.2000s", name, rc, out);
}

static void
fill_hdr(struct hi2_pshdr *h, uint32_t seq)
{
	memset(h, 0, sizeof(*h));
	h->liid = bytes("LIID-0042", 9);
	memcpy(h->auth_cc, "DE", 3);
	h->operator_id = bytes("OPERATOR1", 9);
	h->ne_id = bytes("SGW-A", 5);
	h->cin = 305419896;
	memcpy(h->delivery_cc, "DE", 3);
	h->seq = seq;
	h->ts_sec = 1736936430;
	h->ts_usec = 654321;
	h->has_tsq = 1;
	h->tsq = 1;
}

static void
fill_iri(struct hi2_eps_iri *iri, uint8_t ev, uint8_t bearer, int cause)
{
	hi2_iri_init(iri);
	iri->event = ev;
	iri->ts_sec = 1736936431;
	iri->has_initiator = 1;
	iri->initiator = 2;
	snprintf(iri->imsi, sizeof(iri->imsi), "%s", "262011234567890");
	snprintf(iri->msisdn, sizeof(iri->msisdn), "%s", "4915112345678");
	snprintf(iri->imei, sizeof(iri->imei), "%s", "356938035643809");
	iri->corr = bytes(CORR, sizeof(CORR));
	iri->operator_id = bytes("OP-DE", 5);
	iri->has_ne_type = 1;
	iri->ne_type = HI2_LFT_PGW;
	iri->ne_addr_len = 16;
	memcpy(iri->ne_addr, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01", 16);
	iri->paa = bytes(PAA, sizeof(PAA));
	iri->apn = bytes(APN, sizeof(APN));
	iri->has_ebi = 1;
	iri->ebi = bearer == HI2_BEARER_DEDICATED ? 6 : 5;
	if (bearer == HI2_BEARER_DEDICATED) {
		iri->has_lbi = 1;
		iri->lbi = 5;
	}
	iri->has_rat = 1;
	iri->rat = 6;
	iri->bearer_type = bearer;
	if (cause >= 0) {
		iri->has_cause = 1;
		iri->cause = (uint8_t)cause;
	}
	iri->qos = bytes(QOS, sizeof(QOS));
	iri->apn_ambr = bytes(AMBR, sizeof(AMBR));
	iri->uli = bytes(ULI, sizeof(ULI));
	if (ev == HI2_EV_BEARER_MODIFICATION)
		iri->old_uli = bytes(OLD_ULI, sizeof(OLD_ULI));
}

static const char *
record_name(enum hi2_record r)
{
	static const char *const n[] = {"", "iRI-Begin", "iRI-End", "iRI-Continue", "iRI-Report"};
	return n[r];
}

/* The IRI fields every EPS IRI we send carries, as asn1c's XER shows them. */
static void
expect_common_iri(void)
{
	expect_has("<hi2epsDomainId>0.4.0.2.2.4.8.16.1</hi2epsDomainId>");
	expect_has("<utcTime>250115102031Z</utcTime>");
	expect_has("<initiator><terminating-Target/></initiator>");
	expect_has("<party-Qualifier><gPRS-Target/></party-Qualifier>");
	expect_has("<imei>53 96 83 30 65 34 08 F9</imei>");		/* TBCD, F filler */
	expect_has("<imsi>62 02 11 32 54 76 98 F0</imsi>");
	expect_has("<msISDN>91 94 51 11 32 54 76 F8</msISDN>");	/* TON/NPI 0x91 first */
	expect_has("<ePSCorrelationNumber>C0 00 02 01 00 00 30 39</ePSCorrelationNumber>");
	expect_has("<operator-Identifier>4F 50 2D 44 45</operator-Identifier>");
	expect_has("<pDNAddressAllocation>01 64 40 00 05</pDNAddressAllocation>");
	expect_has("<aPN>08 69 6E 74 65 72 6E 65 74</aPN>");
	expect_has("<rATType>06</rATType>");
	expect_has("<ePSBearerQoS>48 09 00");
	expect_has("<aPN-AMBR>00 00 27 10 00 00 4E 20</aPN-AMBR>");
	expect_has("<userLocationInfo>18 00 F1 10 00 01 00 F1 10 00 00 10 10</userLocationInfo>");
	expect_has("<iP-type><iPV6/></iP-type>");
	expect_has("<iPBinaryAddress>20 01 0D B8 00 00 00 00 00 00 00 00 00 00 00 01</iPBinaryAddress>");
	expect_has("<logicalFunctionType><pDNGW/></logicalFunctionType>");
}

static void
test_iri_pdus(void **state)
{
	static const struct {
		uint8_t ev, bearer;
		int cause;
		const char *evname, *extra;
	} v[] = {
		{HI2_EV_BEARER_ACTIVATION, HI2_BEARER_DEFAULT, -1, "bearerActivation",
		 "<bearerActivationType><defaultBearer/></bearerActivationType>"},
		{HI2_EV_BEARER_ACTIVATION, HI2_BEARER_DEDICATED, -1, "bearerActivation",
		 "<linkedEPSBearerId>05</linkedEPSBearerId>"},
		{HI2_EV_BEARER_ACTIVATION, HI2_BEARER_DEFAULT, 73, "bearerActivation",
		 "<failedBearerActivationReason>49</failedBearerActivationReason>"},
		{HI2_EV_START_WITH_ACTIVE_BEARER, HI2_BEARER_DEFAULT, -1,
		 "startOfInterceptionWithActiveBearer", "<ePSBearerIdentity>05</ePSBearerIdentity>"},
		{HI2_EV_BEARER_MODIFICATION, HI2_BEARER_NONE, -1, "bearerModification",
		 "<olduserLocationInfo>08 00 F1 10 00 02</olduserLocationInfo>"},
		{HI2_EV_BEARER_MODIFICATION, HI2_BEARER_NONE, 72, "bearerModification",
		 "<failedBearerModReason>48</failedBearerModReason>"},
		{HI2_EV_BEARER_DEACTIVATION, HI2_BEARER_DEFAULT, 8, "bearerDeactivation",
		 "<bearerDeactivationType><defaultBearer/></bearerDeactivationType>"
		 "<bearerDeactivationCause>08</bearerDeactivationCause>"},
		{HI2_EV_BEARER_DEACTIVATION, HI2_BEARER_DEDICATED, -1, "bearerDeactivation",
		 "<bearerDeactivationType><dedicatedBearer/></bearerDeactivationType>"},
		{HI2_EV_UE_BEARER_RESOURCE_MOD, HI2_BEARER_NONE, -1,
		 "uERequestedBearerResourceModification", "<ePSBearerIdentity>05</ePSBearerIdentity>"},
	};
	static uint8_t buf[4096];
	struct hi2_pshdr h;
	struct hi2_eps_iri iri;
	struct ovt_builder b;
	struct hi2_diag d;
	char name[64], line[256];

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		fill_hdr(&h, 1000 + (uint32_t)i);
		fill_iri(&iri, v[i].ev, v[i].bearer, v[i].cause);
		bld_init_fixed(&b, buf, sizeof(buf));
		assert_int_equal(hi2_encode_iri(&b, &h, &iri, &d), HI2_OK);
		snprintf(name, sizeof(name), "iri%zu.ber", i);
		check_both(name, buf, bld_len(&b), NULL);

		expect_has("<li-psDomainId>0.4.0.2.2.5.1.43</li-psDomainId>");
		expect_has("<lawfulInterceptionIdentifier>4C 49 49 44 2D 30 30 34 32"
			   "</lawfulInterceptionIdentifier><authorizationCountryCode>DE");
		expect_has("<operatorIdentifier>4F 50 45 52 41 54 4F 52 31</operatorIdentifier>");
		expect_has("<networkElementIdentifier>53 47 57 2D 41</networkElementIdentifier>");
		expect_has("<communicationIdentityNumber>305419896</communicationIdentityNumber>");
		expect_has("<deliveryCountryCode>DE</deliveryCountryCode>");
		snprintf(line, sizeof(line), "<sequenceNumber>%zu</sequenceNumber>", 1000 + i);
		expect_has(line);
		expect_has("<timeStamp>20250115102030.654Z</timeStamp>");
		expect_has("<seconds>1736936430</seconds><microSeconds>654321</microSeconds>");
		expect_has("<timeStampQualifier><timeOfInterception/></timeStampQualifier>");
		snprintf(line, sizeof(line), "<iRIType><%s/></iRIType>",
			 record_name(hi2_iri_record(&iri)));
		expect_has(line);
		expect_has("<timeStamp>20250115102031.000Z</timeStamp><iRIContents><ePSIRI>"
			   "<iRI-EPS-Parameters>");
		/* IRI-Parameters carries the MDF's LIID, not the POI's placeholder. */
		expect_has("<hi2epsDomainId>0.4.0.2.2.4.8.16.1</hi2epsDomainId>"
			   "<lawfulInterceptionIdentifier>4C 49 49 44 2D 30 30 34 32");
		snprintf(line, sizeof(line), "<ePSevent><%s/></ePSevent>", v[i].evname);
		expect_has(line);
		expect_common_iri();
		expect_has(v[i].extra);
	}
}

static void
test_x2_payloads(void **state)
{
	static const struct {
		uint8_t ev, bearer;
		const char *rec;
	} v[] = {
		{HI2_EV_BEARER_ACTIVATION, HI2_BEARER_DEFAULT, "iRI-Begin-record"},
		{HI2_EV_BEARER_MODIFICATION, HI2_BEARER_DEFAULT, "iRI-Continue-record"},
		{HI2_EV_BEARER_DEACTIVATION, HI2_BEARER_DEFAULT, "iRI-End-record"},
		{HI2_EV_UE_PDN_CONNECTIVITY, HI2_BEARER_NONE, "iRI-Report-record"},
	};
	static uint8_t buf[4096];
	struct hi2_eps_iri iri;
	struct ovt_builder b;
	struct hi2_diag d;
	char name[64], line[128];

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		fill_iri(&iri, v[i].ev, v[i].bearer, -1);
		bld_init_fixed(&b, buf, sizeof(buf));
		assert_int_equal(hi2_iri_encode_x2(&b, &iri, &d), HI2_OK);
		snprintf(name, sizeof(name), "x2_%zu.ber", i);
		check_both(name, buf, bld_len(&b), "EpsIRIContent");
		snprintf(line, sizeof(line), "<EpsIRIContent><%s>", v[i].rec);
		expect_has(line);
		/* TS 33.128 6.3.3.2.1: "LIIDNotPresent" when the POI has no LIID. */
		expect_has("<lawfulInterceptionIdentifier>4C 49 49 44 4E 6F 74 50 72 65 73 65 6E 74"
			   "</lawfulInterceptionIdentifier>");
		expect_common_iri();
	}
}

static void
test_cc_pdus(void **state)
{
	static const size_t sizes[] = {0, 33, 127, 128, 1400, 9000, 65535};
	static uint8_t pkt[65535], buf[70000];
	struct hi2_pshdr h;
	struct hi2_cc cc;
	struct ovt_builder b;
	struct hi2_diag d;
	char name[64], line[128];

	/* Binary like a real packet (a printable pattern sets off dumpasn1's string checks). */
	uint32_t x = 1;
	for (size_t i = 0; i < sizeof(pkt); i++) {
		x = x * 1103515245u + 12345u;
		pkt[i] = (uint8_t)(x >> 16);
	}
	pkt[0] = 0x45;
	memset(&cc, 0, sizeof(cc));
	cc.dir = 1;
	cc.corr = bytes(CORR, sizeof(CORR));
	cc.tpdu_dir = 2;
	cc.ice_type = 4;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		fill_hdr(&h, 4000000000u + (uint32_t)i);
		cc.ulic_seq = (uint16_t)(65535 - i);
		cc.pkt = bytes(pkt, sizes[i]);
		bld_init_fixed(&b, buf, sizeof(buf));
		assert_int_equal(hi2_encode_cc(&b, &h, &cc, &d), HI2_OK);
		snprintf(name, sizeof(name), "cc%zu.ber", i);
		check_both(name, buf, bld_len(&b), NULL);
		snprintf(line, sizeof(line), "<sequenceNumber>%zu</sequenceNumber>", 4000000000u + i);
		expect_has(line);
		expect_has("<payloadDirection><toTarget/></payloadDirection>"
			   "<cCContents><ePSCC-CC-PDU><uLIC-header>"
			   "<hi3DomainId>0.4.0.2.2.4.9.16.0</hi3DomainId>"
			   "<lIID>4C 49 49 44 2D 30 30 34 32</lIID>"
			   "<correlation-Number>C0 00 02 01 00 00 30 39</correlation-Number>"
			   "<timeStamp><utcTime>250115102030Z</utcTime></timeStamp>");
		snprintf(line, sizeof(line), "<sequence-number>%zu</sequence-number>", 65535 - i);
		expect_has(line);
		expect_has("<t-PDU-direction><to-target/></t-PDU-direction>"
			   "<ice-type><pDN-GW/></ice-type></uLIC-header>");
		if (sizes[i] == 0)
			expect_has("<payload></payload>");
		else if (sizes[i] == 33) {
			char hex[128];
			size_t k = snprintf(hex, sizeof(hex), "<payload>");
			for (size_t j = 0; j < 33; j++)
				k += snprintf(hex + k, sizeof(hex) - k, "%02X", pkt[j]);
			snprintf(hex + k, sizeof(hex) - k, "</payload>");
			expect_has(hex);
		}
	}
}

static void
test_tri_pdus(void **state)
{
	static uint8_t buf[512];
	struct hi2_pshdr h;
	struct ovt_builder b;
	struct hi2_diag d;

	fill_hdr(&h, 0);
	h.auth_cc[0] = h.delivery_cc[0] = '\0';
	h.ne_id.len = 0;
	h.has_tsq = 0;
	h.cin = 0;
	bld_init_fixed(&b, buf, sizeof(buf));
	assert_int_equal(hi2_encode_tri(&b, &h, HI2_TRI_KEEPALIVE, &d), HI2_OK);
	check_both("tri_ka.ber", buf, bld_len(&b), NULL);
	expect_has("<sequenceNumber>0</sequenceNumber>");
	expect_has("<communicationIdentityNumber>0</communicationIdentityNumber>");
	expect_has("<payload><tRIPayload><keep-alive");
	assert_null(strstr(out, "authorizationCountryCode"));

	bld_init_fixed(&b, buf, sizeof(buf));
	assert_int_equal(hi2_encode_tri(&b, &h, HI2_TRI_KEEPALIVE_RESPONSE, &d), HI2_OK);
	check_both("tri_kar.ber", buf, bld_len(&b), NULL);
	expect_has("<payload><tRIPayload><keep-aliveResponse");
}

/* One stream as on an HI2/HI3 connection: asn1c decodes each PDU in turn. */
static void
test_stream(void **state)
{
	static uint8_t buf[16384], pkt[1400];
	struct hi2_pshdr h;
	struct hi2_eps_iri iri;
	struct hi2_cc cc;
	struct ovt_builder b;
	struct hi2_diag d;
	char path[600], cmd[1300];
	int npdu = 0;

	bld_init_fixed(&b, buf, sizeof(buf));
	memset(&cc, 0, sizeof(cc));
	cc.corr = bytes(CORR, sizeof(CORR));
	cc.tpdu_dir = 1;
	cc.pkt = bytes(pkt, sizeof(pkt));
	for (uint32_t s = 0; s < 8; s++) {
		fill_hdr(&h, s);
		if (s % 3 == 0) {
			fill_iri(&iri, HI2_EV_BEARER_MODIFICATION, HI2_BEARER_DEFAULT, -1);
			assert_int_equal(hi2_encode_iri(&b, &h, &iri, &d), HI2_OK);
		} else if (s % 3 == 1) {
			assert_int_equal(hi2_encode_cc(&b, &h, &cc, &d), HI2_OK);
		} else {
			assert_int_equal(hi2_encode_tri(&b, &h, HI2_TRI_KEEPALIVE, &d), HI2_OK);
		}
		npdu++;
	}
	write_file("stream.ber", buf, bld_len(&b), path, sizeof(path));
	snprintf(cmd, sizeof(cmd), "'%s' -iber -onull -c '%s'", dec, path);
	assert_int_equal(run(cmd), 0);
	int n = 0;
	for (const char *s = out; (s = strstr(s, "decodedsuccessfully")) != NULL; s++)
		n++;
	assert_int_equal(n, npdu);
}

/* The oracle is not vacuous: it refuses what it must. */
static void
test_oracle_refuses(void **state)
{
	static uint8_t buf[4096];
	const char *shared = getenv("OVERT_SHARED");
	struct hi2_pshdr h;
	struct hi2_eps_iri iri;
	struct ovt_builder b;
	struct hi2_diag d;
	char path[600], cmd[1300];

	if (shared != NULL) {
		snprintf(cmd, sizeof(cmd), "'%s' -iber -onull '%s/reference/hi2/bad_tag.ber'", dec,
			 shared);
		assert_int_equal(run(cmd), 65);
		snprintf(cmd, sizeof(cmd),
			 "'%s' -iber -onull '%s/reference/hi2/eps_iri_openli_style_party.ber'", dec,
			 shared);
		assert_int_equal(run(cmd), 65);
	}
	/* Our own IRI with partyInformation's inner SEQUENCE turned into a context tag. */
	fill_hdr(&h, 1);
	fill_iri(&iri, HI2_EV_BEARER_ACTIVATION, HI2_BEARER_DEFAULT, -1);
	bld_init_fixed(&b, buf, sizeof(buf));
	assert_int_equal(hi2_encode_iri(&b, &h, &iri, &d), HI2_OK);
	size_t n = bld_len(&b), at = 0;
	for (size_t i = 0; i + 3 < n; i++)
		if (buf[i] == 0xa9 && buf[i + 2] == 0x30 && buf[i + 4] == 0x80) {
			at = i + 2;
			break;
		}
	assert_true(at > 0);
	buf[at] = 0xa0;
	write_file("corrupt.ber", buf, n, path, sizeof(path));
	snprintf(cmd, sizeof(cmd), "'%s' -iber -onull '%s'", dec, path);
	assert_int_equal(run(cmd), 65);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_iri_pdus),
		cmocka_unit_test(test_x2_payloads),
		cmocka_unit_test(test_cc_pdus),
		cmocka_unit_test(test_tri_pdus),
		cmocka_unit_test(test_stream),
		cmocka_unit_test(test_oracle_refuses),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
