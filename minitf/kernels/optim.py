"""Fused optimizer update kernels: one pass over a variable's memory.

Each kernel reads the parameter ``p``, the gradient ``g`` and the slots once,
writes the slots once, and either adds the update to ``p`` in place
(``add=True``) or stores it in ``out`` (``add=False``, for ``get_updates``).
Both modes compute the update ``d`` with the same instructions, so
``p + d`` is the same number either way. ``wdlr`` (weight decay times
learning rate) folds decoupled weight decay into the update: ``d -= p * wdlr``.

Arrays are 1-D, C-contiguous and of one float dtype (float32 or float64);
scalars are numpy scalars of that dtype (so float32 math stays float32).
Integer literals never meet floats in the bodies, for the same reason.
Numbers equal the numpy references below to the last bit: every operation
is a correctly rounded IEEE one (no fastmath, no contraction into FMA), so
the whole-array, chunked (threaded) and reference versions agree exactly. (The exception is
FTRL with a learning_rate_power other than -0.5, which calls the C library's
``pow``.)
"""
import numpy as np

from ._parallel import chunked_kernel, run  # noqa: F401  (run: how the optimizers call them)


# ---- SGD: p -= lr * g;  momentum: m = mom*m - lr*g, p += m (nesterov: p += mom*m - lr*g)

def _sgd_body(p, g, out, add, lr, wdlr):
    for i in range(g.size):
        d = -(g[i] * lr)
        if wdlr != 0:
            d -= p[i] * wdlr
        if add:
            p[i] = p[i] + d
        else:
            out[i] = d


def sgd_reference(p, g, out, add, lr, wdlr):
    d = -(g * lr)
    _finish(p, d, out, add, wdlr)


def _sgd_momentum_body(p, g, m, out, add, lr, mom, nesterov, wdlr):
    for i in range(g.size):
        mi = m[i] * mom - g[i] * lr
        m[i] = mi
        d = mi * mom - g[i] * lr if nesterov else mi
        if wdlr != 0:
            d -= p[i] * wdlr
        if add:
            p[i] = p[i] + d
        else:
            out[i] = d


def sgd_momentum_reference(p, g, m, out, add, lr, mom, nesterov, wdlr):
    m[...] = m * mom - g * lr
    d = m * mom - g * lr if nesterov else m.copy()
    _finish(p, d, out, add, wdlr)


# ---- RMSprop: v = rho*v + (1-rho)*g^2 [a = rho*a + (1-rho)*g]; inc = lr*g/sqrt(v [- a^2] + eps)
#      The plain variant has its own body: flags guarding slot accesses keep
#      the compiled loop from vectorizing.

def _rmsprop_body(p, g, v, out, add, lr, rho, omr, eps, wdlr):
    for i in range(g.size):
        gi = g[i]
        vi = rho * v[i] + omr * (gi * gi)
        v[i] = vi
        d = -(lr * gi / np.sqrt(vi + eps))
        if wdlr != 0:
            d -= p[i] * wdlr
        if add:
            p[i] = p[i] + d
        else:
            out[i] = d


def rmsprop_reference(p, g, v, out, add, lr, rho, omr, eps, wdlr):
    v[...] = rho * v + omr * (g * g)
    d = -(lr * g / np.sqrt(v + eps))
    _finish(p, d, out, add, wdlr)


def _rmsprop_general_body(p, g, v, a, mo, out, add, lr, rho, omr, mom, eps, centered,
                          use_momentum, wdlr):
    for i in range(g.size):
        gi = g[i]
        vi = rho * v[i] + omr * (gi * gi)
        v[i] = vi
        if centered:
            ai = rho * a[i] + omr * gi
            a[i] = ai
            denom = vi - ai * ai + eps
        else:
            denom = vi + eps
        d = -(lr * gi / np.sqrt(denom))
        if use_momentum:
            moi = mom * mo[i] - d
            mo[i] = moi
            d = -moi
        if wdlr != 0:
            d -= p[i] * wdlr
        if add:
            p[i] = p[i] + d
        else:
            out[i] = d


def rmsprop_general_reference(p, g, v, a, mo, out, add, lr, rho, omr, mom, eps, centered,
                              use_momentum, wdlr):
    v[...] = rho * v + omr * (g * g)
    if centered:
        a[...] = rho * a + omr * g
        denom = v - a * a + eps
    else:
        denom = v + eps
    d = -(lr * g / np.sqrt(denom))
    if use_momentum:
        mo[...] = mom * mo - d
        d = -mo
    _finish(p, d, out, add, wdlr)


# ---- Adagrad: acc += g^2; p -= lr*g / sqrt(acc + eps)

def _adagrad_body(p, g, acc, out, add, lr, eps, wdlr):
    for i in range(g.size):
        gi = g[i]
        ai = acc[i] + gi * gi
        acc[i] = ai
        d = -(lr * gi / np.sqrt(ai + eps))
        if wdlr != 0:
            d -= p[i] * wdlr
        if add:
            p[i] = p[i] + d
        else:
            out[i] = d


def adagrad_reference(p, g, acc, out, add, lr, eps, wdlr):
    acc += g * g
    d = -(lr * g / np.sqrt(acc + eps))
    _finish(p, d, out, add, wdlr)


# ---- Adadelta: Eg = rho*Eg + (1-rho)*g^2; dx = -sqrt(Edx + eps)/sqrt(Eg + eps)*g;
#      Edx = rho*Edx + (1-rho)*dx^2; p += lr*dx

def _adadelta_body(p, g, eg, edx, out, add, lr, rho, omr, eps, wdlr):
    for i in range(g.size):
        gi = g[i]
        egi = rho * eg[i] + omr * (gi * gi)
        eg[i] = egi
        dx = -(np.sqrt(edx[i] + eps) * gi / np.sqrt(egi + eps))
        edx[i] = rho * edx[i] + omr * (dx * dx)
        d = lr * dx
        if wdlr != 0:
            d -= p[i] * wdlr
        if add:
            p[i] = p[i] + d
        else:
            out[i] = d


def adadelta_reference(p, g, eg, edx, out, add, lr, rho, omr, eps, wdlr):
    eg[...] = rho * eg + omr * (g * g)
    dx = -(np.sqrt(edx + eps) * g / np.sqrt(eg + eps))
    edx[...] = rho * edx + omr * (dx * dx)
    d = lr * dx
    _finish(p, d, out, add, wdlr)


# ---- Adam: m += (g-m)(1-b1); v += (g^2-v)(1-b2); p -= alpha*m/(sqrt(v)+eps)
#      AMSGrad: vh = max(vh, v) replaces v in the last step (its own body: a
#      flag guarding the vh accesses would stop the loop from vectorizing)

def _adam_body(p, g, m, v, out, add, omb1, omb2, alpha, eps, wdlr):
    for i in range(g.size):
        gi = g[i]
        mi = m[i] + (gi - m[i]) * omb1
        vi = v[i] + (gi * gi - v[i]) * omb2
        m[i] = mi
        v[i] = vi
        d = -(mi * alpha / (np.sqrt(vi) + eps))
        if wdlr != 0:
            d -= p[i] * wdlr
        if add:
            p[i] = p[i] + d
        else:
            out[i] = d


def adam_reference(p, g, m, v, out, add, omb1, omb2, alpha, eps, wdlr):
    m += (g - m) * omb1
    v += (g * g - v) * omb2
    d = -(m * alpha / (np.sqrt(v) + eps))
    _finish(p, d, out, add, wdlr)


def _amsgrad_body(p, g, m, v, vh, out, add, omb1, omb2, alpha, eps, wdlr):
    for i in range(g.size):
        gi = g[i]
        mi = m[i] + (gi - m[i]) * omb1
        vi = v[i] + (gi * gi - v[i]) * omb2
        m[i] = mi
        v[i] = vi
        vhi = max(vh[i], vi)
        vh[i] = vhi
        d = -(mi * alpha / (np.sqrt(vhi) + eps))
        if wdlr != 0:
            d -= p[i] * wdlr
        if add:
            p[i] = p[i] + d
        else:
            out[i] = d


def amsgrad_reference(p, g, m, v, vh, out, add, omb1, omb2, alpha, eps, wdlr):
    m += (g - m) * omb1
    v += (g * g - v) * omb2
    np.maximum(vh, v, out=vh)
    d = -(m * alpha / (np.sqrt(vh) + eps))
    _finish(p, d, out, add, wdlr)


# ---- Adamax: m += (g-m)(1-b1); u = max(b2*u, |g|); p -= lr*m / ((1-b1^t)(u+eps))

def _adamax_body(p, g, m, u, out, add, omb1, b2, lr, bc1, eps, wdlr):
    for i in range(g.size):
        gi = g[i]
        mi = m[i] + (gi - m[i]) * omb1
        ui = max(b2 * u[i], abs(gi))
        m[i] = mi
        u[i] = ui
        d = -(lr * mi / (bc1 * (ui + eps)))
        if wdlr != 0:
            d -= p[i] * wdlr
        if add:
            p[i] = p[i] + d
        else:
            out[i] = d


def adamax_reference(p, g, m, u, out, add, omb1, b2, lr, bc1, eps, wdlr):
    m += (g - m) * omb1
    np.maximum(b2 * u, np.abs(g), out=u)
    d = -(lr * m / (bc1 * (u + eps)))
    _finish(p, d, out, add, wdlr)


# ---- Nadam: Adam moments; m_hat = u1*m/(1-P1) + (1-u0)*g/(1-P0); v_hat = v/(1-b2^t)

def _nadam_body(p, g, m, v, out, add, omb1, omb2, u1, om_p1, om_u0, om_p0, om_b2t,
                lr, eps, wdlr):
    for i in range(g.size):
        gi = g[i]
        mi = m[i] + (gi - m[i]) * omb1
        vi = v[i] + (gi * gi - v[i]) * omb2
        m[i] = mi
        v[i] = vi
        m_hat = u1 * mi / om_p1 + om_u0 * gi / om_p0
        v_hat = vi / om_b2t
        d = -(m_hat * lr / (np.sqrt(v_hat) + eps))
        if wdlr != 0:
            d -= p[i] * wdlr
        if add:
            p[i] = p[i] + d
        else:
            out[i] = d


def nadam_reference(p, g, m, v, out, add, omb1, omb2, u1, om_p1, om_u0, om_p0, om_b2t,
                    lr, eps, wdlr):
    m += (g - m) * omb1
    v += (g * g - v) * omb2
    m_hat = u1 * m / om_p1 + om_u0 * g / om_p0
    d = -(m_hat * lr / (np.sqrt(v / om_b2t) + eps))
    _finish(p, d, out, add, wdlr)


# ---- FTRL-Proximal: n' = n + g^2; z += g_s - (n'^-c - n^-c)/lr * w;
#      w = (clip(z, -l1, l1) - z) / (n'^-c/lr + 2*l2)   (c = learning_rate_power)

def _ftrl_body(p, g, acc, lin, out, add, lr, neg_power, l1, two_l2, two_l2s, wdlr):
    for i in range(g.size):
        pi = p[i]
        if wdlr != 0:
            pi = pi - pi * wdlr
        gi = g[i]
        ai = acc[i]
        ni = ai + gi * gi
        if neg_power == 0.5:
            pow_new, pow_old = np.sqrt(ni), np.sqrt(ai)
        else:
            pow_new, pow_old = ni ** neg_power, ai ** neg_power
        li = lin[i] + ((gi + two_l2s * pi) - (pow_new - pow_old) / lr * pi)
        quadratic = pow_new / lr + two_l2
        new = (min(max(li, -l1), l1) - li) / quadratic
        acc[i] = ni
        lin[i] = li
        d = new - p[i]
        if add:
            p[i] = p[i] + d
        else:
            out[i] = d


def ftrl_reference(p, g, acc, lin, out, add, lr, neg_power, l1, two_l2, two_l2s, wdlr):
    w = p - p * wdlr if wdlr != 0 else p
    n = acc + g * g
    if neg_power == 0.5:
        pow_new, pow_old = np.sqrt(n), np.sqrt(acc)
    else:
        pow_new, pow_old = n ** neg_power, acc ** neg_power
    lin += (g + two_l2s * w) - (pow_new - pow_old) / lr * w
    new = (np.clip(lin, -l1, l1) - lin) / (pow_new / lr + two_l2)
    acc[...] = n
    _finish(p, new - p, out, add)


# ---- Lion: p -= lr * sign(b1*m + (1-b1)*g); m = b2*m + (1-b2)*g

def _lion_body(p, g, m, out, add, lr, b1, omb1, b2, omb2, wdlr):
    for i in range(g.size):
        gi = g[i]
        mi = m[i]
        d = -(lr * np.sign(mi * b1 + gi * omb1))
        m[i] = mi * b2 + gi * omb2
        if wdlr != 0:
            d -= p[i] * wdlr
        if add:
            p[i] = p[i] + d
        else:
            out[i] = d


def lion_reference(p, g, m, out, add, lr, b1, omb1, b2, omb2, wdlr):
    d = -(lr * np.sign(m * b1 + g * omb1))
    m[...] = m * b2 + g * omb2
    _finish(p, d, out, add, wdlr)


# ---- Weight EMA after an update u: avg = mom*avg + (1-mom)*(p+u); on overwrite u = avg - p

def _ema_body(p, u, avg, add, mom, omm, overwrite):
    for i in range(u.size):
        ai = mom * avg[i] + omm * (p[i] + u[i])
        avg[i] = ai
        if overwrite:
            u[i] = ai - p[i]
        if add:
            p[i] = p[i] + u[i]


def ema_reference(p, u, avg, add, mom, omm, overwrite):
    avg[...] = mom * avg + omm * (p + u)
    if overwrite:
        u[...] = avg - p
    if add:
        p += u


def _finish(p, d, out, add, wdlr=0):
    """Reference epilogue: weight decay, then p += d or out = d."""
    if wdlr != 0:
        d -= p * wdlr
    if add:
        p += d
    else:
        out[...] = d


SGD = chunked_kernel(_sgd_body)
SGD_MOMENTUM = chunked_kernel(_sgd_momentum_body)
RMSPROP = chunked_kernel(_rmsprop_body)
RMSPROP_GENERAL = chunked_kernel(_rmsprop_general_body)
ADAGRAD = chunked_kernel(_adagrad_body)
ADADELTA = chunked_kernel(_adadelta_body)
ADAM = chunked_kernel(_adam_body)
AMSGRAD = chunked_kernel(_amsgrad_body)
ADAMAX = chunked_kernel(_adamax_body)
NADAM = chunked_kernel(_nadam_body)
FTRL = chunked_kernel(_ftrl_body)
LION = chunked_kernel(_lion_body)
EMA = chunked_kernel(_ema_body)

