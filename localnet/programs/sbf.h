/* Minimal SBF runtime for C programs loaded by the SBPF v0 loader: types, syscalls,
 * input deserialisation, a bump heap, byte helpers, 128-bit mul/div, CPI helpers.
 * Built with clang-19 -target bpfel -mcpu=v1 (see build.py): no libc, no memcpy, no
 * __int128, no mutable globals. */
#pragma once

typedef unsigned long long u64;
typedef long long i64;
typedef unsigned int u32;
typedef unsigned short u16;
typedef unsigned char u8;
typedef _Bool bool;
#define NULL ((void *)0)
#define true 1
#define false 0
#define NOINLINE __attribute__((noinline)) static

typedef struct { u8 x[32]; } SolPubkey;
typedef struct { const SolPubkey *pubkey; bool is_writable; bool is_signer; } SolAccountMeta;
typedef struct {
    const SolPubkey *program_id; const SolAccountMeta *accounts; u64 account_len;
    const u8 *data; u64 data_len;
} SolInstruction;
typedef struct {
    SolPubkey *key; u64 *lamports; u64 data_len; u8 *data; SolPubkey *owner; u64 rent_epoch;
    bool is_signer; bool is_writable; bool executable;
} SolAccountInfo;
typedef struct { const u8 *addr; u64 len; } SolSignerSeed;
typedef struct { const SolSignerSeed *addr; u64 len; } SolSignerSeeds;
typedef struct { const u8 *addr; u64 len; } SolBytes;

extern void sol_log_(const char *, u64);
extern void sol_log_64_(u64, u64, u64, u64, u64);
extern void sol_log_data(const SolBytes *, u64);
extern u64 sol_invoke_signed_c(const SolInstruction *, const SolAccountInfo *, int, const SolSignerSeeds *, int);
extern u64 sol_try_find_program_address(const SolSignerSeed *, int, const SolPubkey *, SolPubkey *, u8 *);
extern u64 sol_create_program_address(const SolSignerSeed *, int, const SolPubkey *, SolPubkey *);
extern void sol_memcpy_(void *, const void *, u64);
extern u64 sol_get_clock_sysvar(void *);

#define LOG(s) sol_log_(s, sizeof(s) - 1)

/* Builtin program errors are (index << 32); a value below 2^32 is ProgramError::Custom. */
#define ERR_MISSING_REQUIRED_SIGNATURE (8ULL << 32)
#define ERR_NOT_ENOUGH_ACCOUNT_KEYS (11ULL << 32)

/* ---------- heap: bump allocator over the VM's zeroed 32 KiB heap ---------- */
#define HEAP_START 0x300000000ULL
#define HEAP_LEN (32 * 1024)
static void *heap_alloc(u64 size) {
    u64 *pos = (u64 *)HEAP_START;
    if (*pos == 0) *pos = HEAP_START + 8;
    u64 p = (*pos + 7) & ~7ULL;
    if (p + size > HEAP_START + HEAP_LEN) return NULL;
    *pos = p + size;
    return (void *)p;
}

/* ---------- bytes (little-endian, alignment-free) ---------- */
static u64 rd64(const u8 *p) { u64 v = 0; for (int i = 7; i >= 0; i--) v = (v << 8) | p[i]; return v; }
static u32 rd32(const u8 *p) { return (u32)p[0] | (u32)p[1] << 8 | (u32)p[2] << 16 | (u32)p[3] << 24; }
static void wr64(u8 *p, u64 v) { for (int i = 0; i < 8; i++) { p[i] = (u8)v; v >>= 8; } }
static void wr32(u8 *p, u32 v) { for (int i = 0; i < 4; i++) { p[i] = (u8)v; v >>= 8; } }
static void copy_bytes(void *d, const void *s, u64 n) { u8 *dd = d; const u8 *ss = s; for (u64 i = 0; i < n; i++) dd[i] = ss[i]; }
static bool bytes_eq(const void *a, const void *b, u64 n) {
    const u8 *x = a, *y = b;
    for (u64 i = 0; i < n; i++) if (x[i] != y[i]) return false;
    return true;
}
static bool key_eq(const SolPubkey *a, const SolPubkey *b) { return bytes_eq(a, b, 32); }
static bool key_is_zero(const SolPubkey *a) { for (int i = 0; i < 32; i++) if (a->x[i]) return false; return true; }

/* ---------- program input ---------- */
#define MAX_ACCOUNTS 32                 /* buy_v2 takes 27 */
#define MAX_PERMITTED_DATA_INCREASE 10240
typedef struct {
    SolAccountInfo ka[MAX_ACCOUNTS];
    u64 ka_num;
    const u8 *data;
    u64 data_len;
    const SolPubkey *program_id;
} SolParams;

static bool sol_deserialize(u8 *input, SolParams *p) {
    u64 n = *(u64 *)input; input += 8;
    if (n > MAX_ACCOUNTS) return false;
    p->ka_num = n;
    for (u64 i = 0; i < n; i++) {
        u8 dup = *input++;
        if (dup == 0xff) {
            SolAccountInfo *a = &p->ka[i];
            a->is_signer = *input++;
            a->is_writable = *input++;
            a->executable = *input++;
            input += 4;                                   /* original data length */
            a->key = (SolPubkey *)input; input += 32;
            a->owner = (SolPubkey *)input; input += 32;
            a->lamports = (u64 *)input; input += 8;
            a->data_len = *(u64 *)input; input += 8;
            a->data = input; input += a->data_len + MAX_PERMITTED_DATA_INCREASE;
            input = (u8 *)(((u64)input + 7) & ~7ULL);
            a->rent_epoch = *(u64 *)input; input += 8;
        } else {
            p->ka[i] = p->ka[dup];
            input += 7;
        }
    }
    p->data_len = *(u64 *)input; input += 8;
    p->data = input; input += p->data_len;
    p->program_id = (const SolPubkey *)input;
    return true;
}

/* ---------- 64x64->128 multiply, 128/64 divide (no __int128 on BPF) ---------- */
static void mul_64_128(u64 a, u64 b, u64 *hi, u64 *lo) {
    u64 al = a & 0xffffffffULL, ah = a >> 32, bl = b & 0xffffffffULL, bh = b >> 32;
    u64 p0 = al * bl, p1 = al * bh, p2 = ah * bl, p3 = ah * bh;
    u64 mid = (p0 >> 32) + (p1 & 0xffffffffULL) + (p2 & 0xffffffffULL);
    *lo = (p0 & 0xffffffffULL) | (mid << 32);
    *hi = p3 + (p1 >> 32) + (p2 >> 32) + (mid >> 32);
}
/* (hi:lo) / d with hi < d: restoring shift-subtract, exact. */
static u64 div_128_64(u64 hi, u64 lo, u64 d, u64 *rem) {
    u64 q = 0;
    for (int i = 0; i < 64; i++) {
        u64 carry = hi >> 63;
        hi = (hi << 1) | (lo >> 63); lo <<= 1; q <<= 1;
        if (carry || hi >= d) { hi -= d; q |= 1; }
    }
    *rem = hi;
    return q;
}
/* floor(a*b/d) or ceil(a*b/d); false on d == 0 or a quotient past 64 bits. */
static bool mul_div(u64 a, u64 b, u64 d, bool round_up, u64 *out) {
    u64 hi, lo, rem;
    mul_64_128(a, b, &hi, &lo);
    if (d == 0 || hi >= d) return false;
    u64 q = div_128_64(hi, lo, d, &rem);
    if (round_up && rem) { if (q == ~0ULL) return false; q++; }
    *out = q;
    return true;
}

/* ---------- PDAs and CPI ---------- */
static bool find_pda(const SolSignerSeed *seeds, int n, const SolPubkey *program, SolPubkey *out, u8 *bump) {
    return sol_try_find_program_address(seeds, n, program, out, bump) == 0;
}

static const SolPubkey SYSTEM_PROGRAM_ID = {{0}};

/* CPI with every input account available to the callee; signer: one PDA's seeds, or NULL.
   BPF calls take at most five arguments, hence the small structs. */
typedef struct { const SolPubkey *program; const SolAccountMeta *metas; u64 n_metas; const u8 *data; u64 data_len; } Call;

static u64 invoke_call(const SolParams *p, const Call *c, const SolSignerSeeds *signer) {
    SolInstruction ix = {c->program, c->metas, c->n_metas, c->data, c->data_len};
    return sol_invoke_signed_c(&ix, p->ka, (int)p->ka_num, signer, signer ? 1 : 0);
}

/* Rent-exempt minimum for `space` bytes under the default rent (3480 lamports/byte-year, 2 years). */
static u64 rent_exempt_minimum(u64 space) { return (space + 128) * 3480 * 2; }

static u64 system_transfer(const SolParams *p, const SolPubkey *from, const SolPubkey *to, u64 lamports) {
    if (lamports == 0) return 0;
    u8 data[12];
    wr32(data, 2); wr64(data + 4, lamports);
    SolAccountMeta metas[2] = {{from, true, true}, {to, true, false}};
    Call c = {&SYSTEM_PROGRAM_ID, metas, 2, data, 12};
    return invoke_call(p, &c, NULL);
}

typedef struct { const SolPubkey *payer, *account, *owner; u64 space; } NewAccount;

/* create_account with a rent-exempt balance; signer: the new account's PDA seeds, or NULL */
static u64 system_create_account(const SolParams *p, const NewAccount *n, const SolSignerSeeds *signer) {
    u8 data[52];
    wr32(data, 0); wr64(data + 4, rent_exempt_minimum(n->space)); wr64(data + 12, n->space);
    copy_bytes(data + 20, n->owner, 32);
    SolAccountMeta metas[2] = {{n->payer, true, true}, {n->account, true, true}};
    Call c = {&SYSTEM_PROGRAM_ID, metas, 2, data, 52};
    return invoke_call(p, &c, signer);
}

/* ---------- event / data writer ---------- */
typedef struct { u8 *buf; u64 len; u64 cap; bool overflow; } Writer;
static void put_bytes(Writer *w, const void *src, u64 n) {
    if (w->len + n > w->cap) { w->overflow = true; return; }
    copy_bytes(w->buf + w->len, src, n); w->len += n;
}
static void put_u8(Writer *w, u8 v) { put_bytes(w, &v, 1); }
static void put_u64(Writer *w, u64 v) { u8 b[8]; wr64(b, v); put_bytes(w, b, 8); }
static void put_u32(Writer *w, u32 v) { u8 b[4]; wr32(b, v); put_bytes(w, b, 4); }
static void put_key(Writer *w, const SolPubkey *k) { put_bytes(w, k, 32); }
static void put_str(Writer *w, const u8 *s, u32 n) { put_u32(w, n); put_bytes(w, s, n); }
static void put_zeros(Writer *w, u64 n) { for (u64 i = 0; i < n; i++) put_u8(w, 0); }

/* ---------- Borsh reader over instruction data ---------- */
typedef struct { const u8 *p; u64 len; u64 pos; bool bad; } Reader;
static u64 get_u64(Reader *r) {
    if (r->pos + 8 > r->len) { r->bad = true; return 0; }
    u64 v = rd64(r->p + r->pos); r->pos += 8; return v;
}
static u8 get_u8(Reader *r) {
    if (r->pos + 1 > r->len) { r->bad = true; return 0; }
    return r->p[r->pos++];
}
static const u8 *get_str(Reader *r, u32 *n) {
    if (r->pos + 4 > r->len) { r->bad = true; *n = 0; return NULL; }
    *n = rd32(r->p + r->pos); r->pos += 4;
    if (*n > r->len - r->pos) { r->bad = true; *n = 0; return NULL; }
    const u8 *s = r->p + r->pos; r->pos += *n; return s;
}
static const SolPubkey *get_key(Reader *r) {
    if (r->pos + 32 > r->len) { r->bad = true; return NULL; }
    const SolPubkey *k = (const SolPubkey *)(r->p + r->pos); r->pos += 32; return k;
}
