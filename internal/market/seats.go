package market

// productsWithoutUsers are the products sold per unit rather than per
// user (PRODUCT.md "Catalog": the IVR add-on): their licenses take no
// users (seats).
var productsWithoutUsers = map[string]bool{"ivr": true}

// HasUsers reports whether the licenses of a product are seats that users
// are put on.
func HasUsers(product string) bool { return !productsWithoutUsers[product] }
